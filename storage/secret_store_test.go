package storage_test

import (
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/sealing"
	"github.com/hookflow/hookflow/signing"
)

// The contract with the delivery path: Webhook and DeliveryTarget load the
// secrets that sign now, the current first, then rotated-out ones inside
// their overlap; the history keeps every one.
func TestRotatedSecretKeepsSigningForItsOverlapOnly(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	db := tdb.Stores
	sub := newSubscription(t, db, "org-a", hookflow.AllEvents)
	first := sub.SecretKey
	signing := func() []string {
		w, err := db.Webhooks.Webhook(ctx, sub.ID)
		if err != nil {
			t.Fatal(err)
		}
		return w.Secrets
	}
	beforeRotation := time.Now()
	second, err := db.Secrets.RotateSubscriptionSecret(ctx, "org-a", sub.ID, "hand-set-secret", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if got := signing(); !slices.Equal(got, []string{"hand-set-secret", first}) {
		t.Errorf("signing during the overlap = %v, want the new then the old", got)
	}
	third, err := db.Secrets.RotateSubscriptionSecret(ctx, "org-a", sub.ID, "third-secret", 0)
	if err != nil {
		t.Fatal(err)
	}
	// No overlap for the second: it stops at once; the first is still inside its hour.
	if got := signing(); !slices.Equal(got, []string{"third-secret", first}) {
		t.Errorf("signing after a rotation without overlap = %v", got)
	}
	published := &hookflow.Event{ID: "evt-" + sub.ID, EventType: "shift.created", OrganizationID: "org-a", Data: json.RawMessage(`{}`)}
	deliveries, _, err := db.Events.PublishEvent(ctx, published, "shift")
	if err != nil || len(deliveries) != 1 {
		t.Fatalf("publish: %v %v", deliveries, err)
	}
	target, err := db.Deliveries.DeliveryTarget(ctx, deliveries[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(target.Webhook.Secrets, []string{"third-secret", first}) || target.EventTypeRetired {
		t.Errorf("delivery target secrets %v, retired %v", target.Webhook.Secrets, target.EventTypeRetired)
	}

	if s, err := db.Secrets.SubscriptionSecret(ctx, "org-a", sub.ID, nil); err != nil || s != "third-secret" {
		t.Errorf("current = %q, %v", s, err)
	}
	if s, err := db.Secrets.SubscriptionSecret(ctx, "org-a", sub.ID, &beforeRotation); err != nil || s != first {
		t.Errorf("as of before the rotations = %q, %v; want the first", s, err)
	}
	longAgo := beforeRotation.Add(-time.Hour)
	if _, err := db.Secrets.SubscriptionSecret(ctx, "org-a", sub.ID, &longAgo); err != hookflow.ErrSecretNotFound {
		t.Errorf("before the subscription existed = %v, want secret not found", err)
	}
	history, total, err := db.Secrets.SubscriptionSecretHistory(ctx, "org-a", sub.ID, hookflow.Page{Take: 10})
	if err != nil {
		t.Fatal(err)
	}
	if total != 3 || len(history) != 3 || history[0].SecretKey != first || history[1].ID != second.ID || history[2].ID != third.ID {
		t.Fatalf("history = %+v (total %d)", history, total)
	}
	if history[0].ExpiresAt == nil || history[0].ExpiresAt.Sub(history[1].CreatedAt).Round(time.Second) != time.Hour || history[2].ExpiresAt != nil {
		t.Errorf("expiries: %v %v %v", history[0].ExpiresAt, history[1].ExpiresAt, history[2].ExpiresAt)
	}
	if _, _, err := db.Secrets.SubscriptionSecretHistory(ctx, "org-b", sub.ID, hookflow.Page{Take: 10}); err != hookflow.ErrSubscriptionNotFound {
		t.Errorf("another organization's history = %v", err)
	}
}

// TestARotationStormKeepsAtMostMaxSigningSecretsSigning: every attempt signs
// with each signing secret, so rotations beyond the bound end the oldest
// overlaps early instead of growing the signature header.
func TestARotationStormKeepsAtMostMaxSigningSecretsSigning(t *testing.T) {
	ctx := context.Background()
	db := testDB.Stores
	sub := newSubscription(t, db, "org-storm", hookflow.AllEvents)
	var rotated []string
	for i := range 10 {
		secret := fmt.Sprintf("storm-secret-%02d", i)
		if _, err := db.Secrets.RotateSubscriptionSecret(ctx, "org-storm", sub.ID, secret, time.Hour); err != nil {
			t.Fatal(err)
		}
		rotated = append(rotated, secret)
	}
	w, err := db.Webhooks.Webhook(ctx, sub.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{rotated[9], rotated[8], rotated[7]} // the current one, then the newest overlaps
	if !slices.Equal(w.Secrets, want) || len(w.Secrets) != hookflow.MaxSigningSecrets {
		t.Errorf("signing after 10 rotations = %v, want %v", w.Secrets, want)
	}
	// The history keeps every secret, the ended ones with their end.
	history, total, err := db.Secrets.SubscriptionSecretHistory(ctx, "org-storm", sub.ID, hookflow.Page{Take: 20})
	if err != nil || total != 11 || len(history) != 11 {
		t.Fatalf("history = %d of %d, %v; want all 11 secrets", len(history), total, err)
	}
}

// TestNoSecretIsStoredInTheClear writes secrets every way the stores can
// (webhook create and update, subscription create and rotations), then
// reads every row of every table as text: neither a secret, nor its base64
// payload, nor its bytes in hex appear; the stores still read each back.
func TestNoSecretIsStoredInTheClear(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	db := tdb.Stores
	var secrets []string
	gen := func() string {
		s, err := signing.GenerateSecret()
		if err != nil {
			t.Fatal(err)
		}
		secrets = append(secrets, s)
		return s
	}
	facility := testenv.NewWebhook(t, db, &hookflow.Webhook{Kind: hookflow.KindFacility, Facilities: []string{"P-1"}, Secrets: []string{gen(), gen()}})
	patched := []string{gen()}
	if _, err := db.Webhooks.UpdateWebhook(ctx, facility.ID, hookflow.WebhookUpdate{Secrets: patched}, "c"); err != nil {
		t.Fatal(err)
	}
	sub, err := db.Subscriptions.CreateSubscription(ctx, "org-dump", hookflow.SubscriptionInput{PostURI: "https://example.com/dump", Events: []string{hookflow.AllEvents}, Version: "v1"}, gen(), "user-1")
	if err != nil {
		t.Fatal(err)
	}
	handSet := "hand-set-secret-of-hookflow-tests"
	secrets = append(secrets, handSet)
	for _, s := range []string{gen(), handSet, gen()} {
		if _, err := db.Secrets.RotateSubscriptionSecret(ctx, "org-dump", sub.ID, s, time.Hour); err != nil {
			t.Fatal(err)
		}
	}

	dump := dumpDatabase(t, tdb)
	for _, s := range secrets {
		forms := []string{s}
		if key, ok := strings.CutPrefix(s, signing.SecretPrefix); ok {
			raw, err := base64.StdEncoding.DecodeString(key)
			if err != nil {
				t.Fatal(err)
			}
			forms = append(forms, key, hex.EncodeToString(raw))
		} else {
			forms = append(forms, hex.EncodeToString([]byte(s)))
		}
		for _, f := range forms {
			if strings.Contains(dump, f) {
				t.Errorf("the database holds %q in the clear", f)
			}
		}
	}
	if !strings.Contains(dump, "v1:test:") {
		t.Error("the dump holds no sealed secret: is it complete?")
	}

	w, err := db.Webhooks.Webhook(ctx, facility.ID)
	if err != nil || !slices.Equal(w.Secrets, patched) {
		t.Errorf("facility webhook secrets = %v, %v; want %v", w.Secrets, err, patched)
	}
	history, _, err := db.Secrets.SubscriptionSecretHistory(ctx, "org-dump", sub.ID, hookflow.Page{Take: 10})
	if err != nil || len(history) != 4 || history[2].SecretKey != handSet {
		t.Errorf("history = %v, %v; want 4 secrets, the hand-set one third", history, err)
	}
}

// dumpDatabase returns every row of every table of the public schema as
// text, the way a pg_dump would show them.
func dumpDatabase(t *testing.T, tdb *testenv.Database) string {
	t.Helper()
	ctx := context.Background()
	rows, err := tdb.DB.Pool().Query(ctx, `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	tables, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil || len(tables) < 5 {
		t.Fatalf("tables %v: %v", tables, err)
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := tdb.DB.Pool().Query(ctx, `SELECT t::text FROM `+pgx.Identifier{table}.Sanitize()+` t`)
		if err != nil {
			t.Fatal(err)
		}
		texts, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(strings.Join(texts, "\n"))
	}
	return b.String()
}

// secondRing puts a new key "next" before the tests' key.
func secondRing(t *testing.T) *sealing.KeyRing {
	t.Helper()
	ring, err := sealing.ParseKeyRing("next:bmV4dC1lbmNyeXB0aW9uLWtleS1vZi1ob29rZmxvdyE=," + testenv.TestEncryptionKeys)
	if err != nil {
		t.Fatal(err)
	}
	return ring
}

// TestRotateKeysRewrapsEverySecretWhileSecretsAreWritten: secrets under the
// old key move to the new one in batches, each still opens, and a rotation
// of a subscription's secret during the run is neither lost nor left
// behind.
func TestRotateKeysRewrapsEverySecretWhileSecretsAreWritten(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	old := tdb.Stores
	// More secrets than one batch holds.
	hooks := make(map[string][]string)
	for i := range 260 {
		w := testenv.NewWebhook(t, old, &hookflow.Webhook{ClientID: fmt.Sprintf("rotate-%03d", i), Secrets: []string{fmt.Sprintf("whsec-less-secret-%03d-a", i), fmt.Sprintf("whsec-less-secret-%03d-b", i)}})
		hooks[w.ID] = w.Secrets
	}
	sub := newSubscription(t, old, "org-rotate", hookflow.AllEvents)

	// Every process restarts with the new key first; one keeps writing.
	next := tdb.DB.Stores(secondRing(t))
	started, done := make(chan struct{}), make(chan struct{})
	written := make(chan []string, 1)
	go func() {
		var mine []string
		defer func() {
			if len(mine) == 0 {
				close(started) // failed at once: let the test end
			}
			written <- mine
		}()
		for i := 0; ; i++ {
			if i == 1 {
				close(started)
			}
			select {
			case <-done:
				return
			default:
			}
			s := fmt.Sprintf("written-during-rotation-%04d", i)
			if _, err := next.Secrets.RotateSubscriptionSecret(ctx, "org-rotate", sub.ID, s, 0); err != nil {
				t.Error(err)
				return
			}
			mine = append(mine, s)
		}
	}()
	<-started
	r, err := next.Secrets.RotateKeys(ctx)
	close(done)
	during := <-written
	if err != nil {
		t.Fatal(err)
	}
	if r.Rewrapped < 2*260 || r.Remaining != 0 || r.Sealed != 0 {
		t.Errorf("rotation = %+v, want at least 520 re-wrapped, none remaining", r)
	}
	var notNext int
	if err := tdb.DB.Pool().QueryRow(ctx, `SELECT count(*) FROM webhook_secrets WHERE sealed_secret NOT LIKE 'v1:next:%'`).Scan(&notNext); err != nil || notNext != 0 {
		t.Errorf("%d secrets not under the new key (%v)", notNext, err)
	}

	// The old key can go: everything opens under the new one alone.
	newOnly, err := sealing.ParseKeyRing("next:bmV4dC1lbmNyeXB0aW9uLWtleS1vZi1ob29rZmxvdyE=")
	if err != nil {
		t.Fatal(err)
	}
	after := tdb.DB.Stores(newOnly)
	for id, want := range hooks {
		w, err := after.Webhooks.Webhook(ctx, id)
		if err != nil || !slices.Equal(w.Secrets, want) {
			t.Fatalf("webhook %s secrets = %v, %v; want %v", id, w.Secrets, err, want)
		}
	}
	history, total, err := after.Secrets.SubscriptionSecretHistory(ctx, "org-rotate", sub.ID, hookflow.Page{Take: 10000})
	if err != nil || total != 1+len(during) {
		t.Fatalf("history of %d, %v; want the first secret and the %d written during the rotation", total, err, len(during))
	}
	for i, s := range during {
		if history[i+1].SecretKey != s {
			t.Fatalf("history[%d] = %q, want %q", i+1, history[i+1].SecretKey, s)
		}
	}
	if again, err := after.Secrets.RotateKeys(ctx); err != nil || again.Rewrapped != 0 || again.Remaining != 0 {
		t.Errorf("a second run = %+v, %v; want nothing to do", again, err)
	}
}

// TestRotateKeysReportsSecretsUnderAKeyItDoesNotHold: a secret sealed by a
// process that was not restarted is counted, not silently skipped.
func TestRotateKeysCountsSecretsAProcessWithTheOldRingWroteBehindIt(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	next := tdb.DB.Stores(secondRing(t))
	testenv.NewWebhook(t, next, &hookflow.Webhook{})
	if r, err := next.Secrets.RotateKeys(ctx); err != nil || r.Rewrapped != 0 || r.Remaining != 0 {
		t.Fatalf("rotation with nothing under the old key = %+v, %v", r, err)
	}
	testenv.NewWebhook(t, tdb.Stores, &hookflow.Webhook{}) // the old ring
	if r, err := next.Secrets.RotateKeys(ctx); err != nil || r.Rewrapped != 1 || r.Remaining != 0 {
		t.Fatalf("rotation = %+v, %v; want the one under the old key re-wrapped", r, err)
	}
}

// TestSealPlaintextSecretsSealsTheRowsOfTheSchemaBeforeSealing: rows written
// in the clear before migration 00009 are sealed by the pass `hookflow
// migrate` runs after the schema migrations; a second pass finds nothing.
func TestSealPlaintextSecretsSealsTheRowsOfTheSchemaBeforeSealing(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	sqlDB := stdlib.OpenDBFromPool(tdb.DB.Pool())
	defer sqlDB.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, sqlDB, os.DirFS("../migrations/sql"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := provider.DownTo(ctx, 8); err != nil {
		t.Fatal(err)
	}
	// A webhook as the code before sealing stored it: the secret in the clear.
	var webhookID string
	if err := tdb.DB.Pool().QueryRow(ctx, `INSERT INTO webhooks (kind, client_id, url, events, facilities, active, created_by, updated_by)
		VALUES ('user', 'c', 'https://example.com', '{all}', '{}', true, 'c', 'c') RETURNING id`).Scan(&webhookID); err != nil {
		t.Fatal(err)
	}
	for i, secret := range []string{testenv.TestSecret, "a-plaintext-secret-from-before"} {
		if _, err := tdb.DB.Pool().Exec(ctx, `INSERT INTO webhook_secrets (webhook_id, secret, position) VALUES ($1, $2, $3)`, webhookID, secret, i); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := provider.Up(ctx); err != nil {
		t.Fatal(err)
	}
	n, err := tdb.Stores.Secrets.SealPlaintextSecrets(ctx)
	if err != nil || n != 2 {
		t.Fatalf("sealed %d, %v; want the 2 plaintext secrets", n, err)
	}
	dump := dumpDatabase(t, tdb)
	if strings.Contains(dump, "a-plaintext-secret-from-before") || strings.Contains(dump, strings.TrimPrefix(testenv.TestSecret, signing.SecretPrefix)) {
		t.Error("a secret is still in the clear after the pass")
	}
	w, err := tdb.Stores.Webhooks.Webhook(ctx, webhookID)
	if err != nil || !slices.Equal(w.Secrets, []string{testenv.TestSecret, "a-plaintext-secret-from-before"}) {
		t.Fatalf("secrets read back = %v, %v", w.Secrets, err)
	}
	// They still sign as before.
	at := time.Unix(1700000000, 0)
	sig, err := signing.SignWith(signing.DecodeSubscriptionSecret, "evt", at, []byte(`{}`), w.Secrets)
	want, _ := signing.SignWith(signing.DecodeSubscriptionSecret, "evt", at, []byte(`{}`), []string{testenv.TestSecret, "a-plaintext-secret-from-before"})
	if err != nil || sig != want {
		t.Errorf("signature %q, %v; want %q", sig, err, want)
	}
	if again, err := tdb.Stores.Secrets.SealPlaintextSecrets(ctx); err != nil || again != 0 {
		t.Errorf("a second pass sealed %d, %v; want none", again, err)
	}
}
