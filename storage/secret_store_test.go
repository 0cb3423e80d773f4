package storage_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
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
