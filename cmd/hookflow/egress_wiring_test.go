package main

import (
	"bytes"
	"log/slog"
	"net/netip"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/egress"
)

func TestEgressGuardTakesPortsAndTenantNetworksFromTheConfig(t *testing.T) {
	env := map[string]string{
		"HOOKFLOW_ENV":                  "production",
		"HOOKFLOW_JWT_SECRET":           strings.Repeat("k", 40),
		"HOOKFLOW_ENCRYPTION_KEYS":      "k1:AQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQEBAQE=",
		"HOOKFLOW_ALLOWED_TARGET_PORTS": "8443",
		"HOOKFLOW_ALLOWED_TARGET_CIDRS": "10.9.0.0/16",
		"HOOKFLOW_TENANT_TARGET_CIDRS":  "client:client-a=10.1.0.0/16;org:acme=10.2.0.0/16",
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	g := egressGuard(cfg, slog.New(slog.NewTextHandler(&logged, nil)))
	if g.AllowPrivate || !g.Ports.Allows(8443) || g.Ports.Allows(8080) || len(g.Allowed) != 1 {
		t.Errorf("guard = %+v", g)
	}
	if got := g.TenantAllowed[egress.ClientTenant("client-a")]; len(got) != 1 || got[0] != netip.MustParsePrefix("10.1.0.0/16") {
		t.Errorf("client-a's networks = %v", got)
	}
	if got := g.TenantAllowed[egress.OrganizationTenant("acme")]; len(got) != 1 || got[0] != netip.MustParsePrefix("10.2.0.0/16") {
		t.Errorf("acme's networks = %v", got)
	}
	// The global list still works, with a warning in production.
	if !strings.Contains(logged.String(), "HOOKFLOW_ALLOWED_TARGET_CIDRS opens its networks to every tenant") {
		t.Errorf("no warning about the global networks: %q", logged.String())
	}
	if dev := egressGuard(config.Config{AllowPrivateTargets: true}, slog.New(slog.DiscardHandler)); !dev.Ports.Any || !dev.AllowPrivate {
		t.Errorf("development guard = %+v, want ports lifted with private targets", dev)
	}
}
