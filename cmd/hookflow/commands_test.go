package main

import (
	"bytes"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/testenv"
)

func execute(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.ExecuteContext(context.Background())
	return out.String(), err
}

func TestServeRefusesABadConfigurationNamingTheVariable(t *testing.T) {
	t.Setenv("HOOKFLOW_RETRY_SCHEDULE", "5s,soon")
	t.Setenv("HOOKFLOW_ENV", "production")
	_, err := execute(t, "serve")
	if err == nil {
		t.Fatal("serve started with a bad configuration")
	}
	for _, want := range []string{"HOOKFLOW_RETRY_SCHEDULE", "HOOKFLOW_JWT_SECRET"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not name %s", err, want)
		}
	}
}

func TestTokenMintsWhatTheAPIAccepts(t *testing.T) {
	out, err := execute(t, "token", "--roles", "integrator,support", "--client-id", "c1", "--facilities", "P-1, P-2", "--org-id", "o1", "--ttl", "5m")
	if err != nil {
		t.Fatal(err)
	}
	p, err := auth.NewVerifier(auth.Keys{Secret: []byte(config.DevelopmentJWTSecret)}).Verify(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("minted token does not verify: %v", err)
	}
	if p.ClientID != "c1" || p.Subject != "c1" || p.OrgID != "o1" || len(p.Facilities) != 2 || p.Facilities[1] != "P-2" || !p.Has(auth.RoleSupport) || p.Has(auth.RoleAdmin) {
		t.Errorf("principal = %+v", p)
	}
	if _, err := execute(t, "token", "--roles", "root", "--client-id", "c1"); err == nil || !strings.Contains(err.Error(), "unknown role") {
		t.Errorf("unknown role: %v", err)
	}
}

func TestPurgeDryRunCountsWithoutDeleting(t *testing.T) {
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "purge")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx) })
	old := time.Now().Add(-20 * 24 * time.Hour)
	testenv.NewWebhook(t, db.Stores, &hookflow.Webhook{})
	ds := testenv.PublishEvent(t, db.Stores, &hookflow.Event{ID: "old", EventType: "facility.creation.accepted", ClientID: "c"}, "facility")
	if len(ds) != 1 {
		t.Fatalf("deliveries = %+v, want one", ds)
	}
	testenv.SettleAttempts(t, db.Stores, ds[0], 1, hookflow.StatusSucceeded)
	testenv.Backdate(t, db, "old", old)
	t.Setenv("HOOKFLOW_DATABASE_URL", db.URL)
	out, err := execute(t, "purge", "--dry-run")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "deliveries: 1") || !strings.Contains(out, "events:     1") || !strings.Contains(out, "retention 336h") {
		t.Errorf("dry run printed:\n%s", out)
	}
	var left int
	if err := db.DB.Pool().QueryRow(ctx, `SELECT count(*) FROM deliveries`).Scan(&left); err != nil || left != 1 {
		t.Errorf("%d deliveries left (%v): a dry run must delete nothing", left, err)
	}
}

func TestServeOnAnAddressInUseStopsBeforeTouchingAnything(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	t.Setenv("HOOKFLOW_HTTP_ADDR", ln.Addr().String())
	// Nothing answers here: reaching the database would be another error.
	t.Setenv("HOOKFLOW_DATABASE_URL", "postgres://postgres@127.0.0.1:1/none?sslmode=disable&connect_timeout=1")
	_, err = execute(t, "serve")
	if err == nil || !strings.Contains(err.Error(), "HOOKFLOW_HTTP_ADDR") {
		t.Errorf("serve on a taken address: %v", err)
	}
}

func TestRotateKeysMovesSecretsToTheNewestKeyAndPrintsCounts(t *testing.T) {
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "rotatekeys")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx) })
	w := testenv.NewWebhook(t, db.Stores, &hookflow.Webhook{}) // sealed under the tests' key
	const next = "next:bmV4dC1lbmNyeXB0aW9uLWtleS1vZi1ob29rZmxvdyE="
	t.Setenv("HOOKFLOW_ENV", config.EnvDevelopment)
	t.Setenv("HOOKFLOW_DATABASE_URL", db.URL)
	t.Setenv("HOOKFLOW_ENCRYPTION_KEYS", next+","+testenv.TestEncryptionKeys)
	out, err := execute(t, "rotate-keys")
	if err != nil {
		t.Fatalf("rotate-keys: %v\n%s", err, out)
	}
	if !strings.Contains(out, "Secrets re-encrypted under key next: 1") || !strings.Contains(out, "Secrets still under an older key: 0") {
		t.Errorf("rotate-keys printed:\n%s", out)
	}
	// The old key can go.
	t.Setenv("HOOKFLOW_ENCRYPTION_KEYS", next)
	cfg, err := config.FromEnv()
	if err != nil {
		t.Fatal(err)
	}
	got, err := db.DB.Stores(cfg.EncryptionKeys).Webhooks.Webhook(ctx, w.ID)
	if err != nil || len(got.Secrets) != 1 || got.Secrets[0] != testenv.TestSecret {
		t.Errorf("secrets under the new key alone = %v, %v", got, err)
	}
}
