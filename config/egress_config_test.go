package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func TestLoadReadsTargetPortsAndTenantNetworks(t *testing.T) {
	cfg, err := Load(envOf(map[string]string{
		"HOOKFLOW_ENV":                  "development",
		"HOOKFLOW_ALLOWED_TARGET_PORTS": "8443, 9443",
		"HOOKFLOW_TENANT_TARGET_CIDRS":  "client:client-a=10.1.0.0/16, 10.3.0.9/24 ; org:acme=10.2.0.0/16;",
	}))
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if !reflect.DeepEqual(cfg.AllowedTargetPorts, []int{8443, 9443}) {
		t.Errorf("AllowedTargetPorts = %v", cfg.AllowedTargetPorts)
	}
	want := []TenantCIDRs{
		{ID: "client-a", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("10.3.0.0/24")}},
		{Organization: true, ID: "acme", Prefixes: []netip.Prefix{netip.MustParsePrefix("10.2.0.0/16")}},
	}
	if !reflect.DeepEqual(cfg.TenantTargetCIDRs, want) {
		t.Errorf("TenantTargetCIDRs = %+v, want %+v", cfg.TenantTargetCIDRs, want)
	}
	if none, err := Load(envOf(map[string]string{"HOOKFLOW_ENV": "development"})); err != nil || none.AllowedTargetPorts != nil || none.TenantTargetCIDRs != nil {
		t.Errorf("defaults: %v %v (%v), want none", none.AllowedTargetPorts, none.TenantTargetCIDRs, err)
	}
}

func TestLoadRefusesBadTargetPortsAndTenantNetworks(t *testing.T) {
	for _, tt := range []struct {
		name, variable, value, want string
	}{
		{"port 0", "HOOKFLOW_ALLOWED_TARGET_PORTS", "0", "ports from 1 to 65535"},
		{"port too high", "HOOKFLOW_ALLOWED_TARGET_PORTS", "8443,65536", `got "65536"`},
		{"port not a number", "HOOKFLOW_ALLOWED_TARGET_PORTS", "https", `got "https"`},
		{"no tenant kind", "HOOKFLOW_TENANT_TARGET_CIDRS", "client-a=10.1.0.0/16", "client:<clientId>=<cidr>"},
		{"unknown tenant kind", "HOOKFLOW_TENANT_TARGET_CIDRS", "team:a=10.1.0.0/16", `got "team:a=10.1.0.0/16"`},
		{"no id", "HOOKFLOW_TENANT_TARGET_CIDRS", "org:=10.1.0.0/16", "org:<organizationId>"},
		{"no cidr", "HOOKFLOW_TENANT_TARGET_CIDRS", "client:a=", "client:<clientId>"},
		{"global syntax", "HOOKFLOW_TENANT_TARGET_CIDRS", "10.1.0.0/16", "client:<clientId>"},
		{"bad cidr", "HOOKFLOW_TENANT_TARGET_CIDRS", "client:a=10.1.0.0/99", "list of CIDRs"},
		{"a tenant twice", "HOOKFLOW_TENANT_TARGET_CIDRS", "client:a=10.1.0.0/16;client:a=10.2.0.0/16", "names client:a twice"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(envOf(map[string]string{tt.variable: tt.value}))
			if err == nil || !strings.Contains(err.Error(), tt.variable) || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("Load(%s=%s) = %v, want an error naming it and %q", tt.variable, tt.value, err, tt.want)
			}
		})
	}
}
