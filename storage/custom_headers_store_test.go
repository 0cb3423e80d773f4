package storage_test

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"maps"
	"strings"
	"testing"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/sealing"
)

// TestCustomHeadersRoundTripThroughWebhooksSubscriptionsAndDeliveryTargets:
// headers come back on a get, a list and a delivery's target; an update
// without them keeps them, with them replaces the whole set, and an empty
// set clears them.
func TestCustomHeadersRoundTripThroughWebhooksSubscriptionsAndDeliveryTargets(t *testing.T) {
	ctx := context.Background()
	db := newDatabase(t).Stores
	headers := map[string]string{"Authorization": "Bearer receiver-token", "X-Tenant": "acme"}
	w := testenv.NewWebhook(t, db, &hookflow.Webhook{ClientID: "c-headers", Headers: headers})
	got, err := db.Webhooks.Webhook(ctx, w.ID)
	if err != nil || !maps.Equal(got.Headers, headers) {
		t.Fatalf("get = %v, %v; want %v", got.Headers, err, headers)
	}
	list, _, err := db.Webhooks.Webhooks(ctx, hookflow.WebhookFilter{Kind: hookflow.KindUser, ClientID: "c-headers", Limit: 10})
	if err != nil || len(list) != 1 || !maps.Equal(list[0].Headers, headers) {
		t.Fatalf("list = %v, %v", list, err)
	}
	url := "https://example.com/kept"
	if got, err := db.Webhooks.UpdateWebhook(ctx, w.ID, hookflow.WebhookUpdate{URL: &url}, "c"); err != nil || !maps.Equal(got.Headers, headers) {
		t.Errorf("update without headers = %v, %v; want them kept", got.Headers, err)
	}
	replaced := map[string]string{"X-Other": "1"}
	if got, err := db.Webhooks.UpdateWebhook(ctx, w.ID, hookflow.WebhookUpdate{Headers: replaced}, "c"); err != nil || !maps.Equal(got.Headers, replaced) {
		t.Errorf("update with headers = %v, %v; want %v", got.Headers, err, replaced)
	}

	published := &hookflow.Event{ID: "evt-headers", EventType: "facility.updated", ClientID: "c-headers", Data: json.RawMessage(`{}`)}
	deliveries, _, err := db.Events.PublishEvent(ctx, published, "facility")
	if err != nil || len(deliveries) != 1 {
		t.Fatalf("publish: %v %v", deliveries, err)
	}
	target, err := db.Deliveries.DeliveryTarget(ctx, deliveries[0].ID)
	if err != nil || !maps.Equal(target.Webhook.Headers, replaced) {
		t.Errorf("delivery target headers = %v, %v; want %v", target.Webhook.Headers, err, replaced)
	}

	if got, err := db.Webhooks.UpdateWebhook(ctx, w.ID, hookflow.WebhookUpdate{Headers: map[string]string{}}, "c"); err != nil || len(got.Headers) != 0 {
		t.Errorf("update with {} = %v, %v; want none", got.Headers, err)
	}

	sub, err := db.Subscriptions.CreateSubscription(ctx, "org-headers", hookflow.SubscriptionInput{
		PostURI: "https://example.com/sub", Events: []string{hookflow.AllEvents}, Version: "v1", Headers: headers}, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "user-1")
	if err != nil || !maps.Equal(sub.Headers, headers) {
		t.Fatalf("create subscription = %v, %v", sub, err)
	}
	if got, err := db.Subscriptions.Subscription(ctx, "org-headers", sub.ID); err != nil || !maps.Equal(got.Headers, headers) {
		t.Errorf("get subscription headers = %v, %v", got.Headers, err)
	}
	in := hookflow.SubscriptionInput{PostURI: sub.PostURI, Events: sub.Events, Version: "v1", Headers: map[string]string{}}
	if got, err := db.Subscriptions.UpdateSubscription(ctx, "org-headers", sub.ID, in, "user-1"); err != nil || len(got.Headers) != 0 {
		t.Errorf("update subscription with no headers = %v, %v; want none", got.Headers, err)
	}
}

// TestNoCustomHeaderIsStoredInTheClear writes headers every way the stores
// can (webhook create and update, subscription create and update), then
// reads every row of every table as text: no header value, nor its bytes
// in hex, appears; the stores still read each back.
func TestNoCustomHeaderIsStoredInTheClear(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	db := tdb.Stores
	values := []string{"Bearer created-webhook-token", "Bearer patched-webhook-token", "Bearer created-subscription-token", "Bearer patched-subscription-token"}
	w := testenv.NewWebhook(t, db, &hookflow.Webhook{Headers: map[string]string{"Authorization": values[0]}})
	if _, err := db.Webhooks.UpdateWebhook(ctx, w.ID, hookflow.WebhookUpdate{Headers: map[string]string{"Authorization": values[1]}}, "c"); err != nil {
		t.Fatal(err)
	}
	in := hookflow.SubscriptionInput{PostURI: "https://example.com/dump", Events: []string{hookflow.AllEvents}, Version: "v1", Headers: map[string]string{"X-Api-Key": values[2]}}
	sub, err := db.Subscriptions.CreateSubscription(ctx, "org-dump", in, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "user-1")
	if err != nil {
		t.Fatal(err)
	}
	in.Headers = map[string]string{"X-Api-Key": values[3]}
	if _, err := db.Subscriptions.UpdateSubscription(ctx, "org-dump", sub.ID, in, "user-1"); err != nil {
		t.Fatal(err)
	}

	dump := dumpDatabase(t, tdb)
	for _, v := range values {
		token := strings.TrimPrefix(v, "Bearer ")
		for _, f := range []string{token, hex.EncodeToString([]byte(token))} {
			if strings.Contains(dump, f) {
				t.Errorf("the database holds %q in the clear", f)
			}
		}
	}
	if got, err := db.Webhooks.Webhook(ctx, w.ID); err != nil || got.Headers["Authorization"] != values[1] {
		t.Errorf("webhook headers = %v, %v", got.Headers, err)
	}
	if got, err := db.Subscriptions.Subscription(ctx, "org-dump", sub.ID); err != nil || got.Headers["X-Api-Key"] != values[3] {
		t.Errorf("subscription headers = %v, %v", got.Headers, err)
	}
}

// TestSealedHeadersOpenOnlyOnTheirOwnWebhook: a sealed set copied onto
// another webhook's row does not open, so a row cannot borrow another's
// credentials.
func TestSealedHeadersOpenOnlyOnTheirOwnWebhook(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	db := tdb.Stores
	a := testenv.NewWebhook(t, db, &hookflow.Webhook{Headers: map[string]string{"Authorization": "Bearer a"}})
	b := testenv.NewWebhook(t, db, &hookflow.Webhook{})
	if _, err := tdb.DB.Pool().Exec(ctx, `UPDATE webhooks SET sealed_headers = (SELECT sealed_headers FROM webhooks WHERE id = $1) WHERE id = $2`, a.ID, b.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Webhooks.Webhook(ctx, b.ID); err == nil {
		t.Error("another webhook's sealed headers opened")
	}
}

// TestRotateKeysRewrapsCustomHeaders: after a rotation the old key can go
// and every webhook's headers still open.
func TestRotateKeysRewrapsCustomHeaders(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	headers := map[string]string{"Authorization": "Bearer rotated"}
	w := testenv.NewWebhook(t, tdb.Stores, &hookflow.Webhook{Headers: headers})
	next := tdb.DB.Stores(secondRing(t))
	r, err := next.Secrets.RotateKeys(ctx)
	if err != nil || r.Rewrapped != 2 || r.Remaining != 0 {
		t.Fatalf("rotation = %+v, %v; want the secret and the headers re-wrapped", r, err)
	}
	newOnly, err := sealing.ParseKeyRing("next:bmV4dC1lbmNyeXB0aW9uLWtleS1vZi1ob29rZmxvdyE=")
	if err != nil {
		t.Fatal(err)
	}
	if got, err := tdb.DB.Stores(newOnly).Webhooks.Webhook(ctx, w.ID); err != nil || !maps.Equal(got.Headers, headers) {
		t.Errorf("headers under the new key alone = %v, %v", got, err)
	}
}

// TestAnAttemptsRecordedCustomHeadersShowInItsActivityAndSurviveAKeyRotation:
// the custom headers an attempt sent are kept sealed beside its request,
// shown (opened) in the post's rawMessage with Hookflow's own, and re-wrapped
// by a key rotation with the rest.
func TestAnAttemptsRecordedCustomHeadersShowInItsActivityAndSurviveAKeyRotation(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	db := tdb.Stores
	sub, err := db.Subscriptions.CreateSubscription(ctx, "org-recorded", hookflow.SubscriptionInput{
		PostURI: "https://example.com/rec", Events: []string{hookflow.AllEvents}, Version: "v1"}, "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "user-1")
	if err != nil {
		t.Fatal(err)
	}
	ev := &hookflow.Event{ID: "evt-recorded", EventType: "shift.created", OrganizationID: "org-recorded", Data: json.RawMessage(`{}`)}
	deliveries, _, err := db.Events.PublishEvent(ctx, ev, "shift")
	if err != nil || len(deliveries) != 1 {
		t.Fatalf("publish: %v %v", deliveries, err)
	}
	sent := &hookflow.SentRequest{Body: []byte(`{}`), Headers: map[string]string{"webhook-id": ev.ID}, Timestamp: 1700000000,
		CustomHeaders: map[string]string{"authorization": "Bearer recorded-secret-token"}}
	id, _, err := db.Deliveries.BeginAttempt(ctx, hookflow.AttemptIntent{DeliveryID: deliveries[0].ID, Key: "rec-1", URL: sub.PostURI, Kind: hookflow.ScheduledAttempt, Request: sent})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Deliveries.RecordAttempt(ctx, &hookflow.Attempt{ID: id, DeliveryID: deliveries[0].ID, URL: sub.PostURI, ResponseStatus: 200, Success: true,
		DeliveryStatus: hookflow.StatusSucceeded}, hookflow.ScheduledAttempt); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(dumpDatabase(t, tdb), "recorded-secret-token") {
		t.Fatal("the recorded custom header is stored in the clear")
	}

	if r, err := tdb.DB.Stores(secondRing(t)).Secrets.RotateKeys(ctx); err != nil || r.Remaining != 0 || r.Rewrapped != 3 {
		t.Fatalf("rotation = %+v, %v; want the secret, the intent's and the attempt's headers re-wrapped", r, err)
	}
	newOnly, err := sealing.ParseKeyRing("next:bmV4dC1lbmNyeXB0aW9uLWtleS1vZi1ob29rZmxvdyE=")
	if err != nil {
		t.Fatal(err)
	}
	posts, _, err := tdb.DB.Stores(newOnly).Activity.Activities(ctx, hookflow.ActivityFilter{SubscriptionID: sub.ID, Page: hookflow.Page{Take: 10}})
	if err != nil || len(posts) != 1 {
		t.Fatalf("activities = %v, %v", posts, err)
	}
	var shown map[string]string
	if err := json.Unmarshal(posts[0].RawMessage, &shown); err != nil || shown["authorization"] != "Bearer recorded-secret-token" || shown["webhook-id"] != ev.ID {
		t.Errorf("rawMessage = %s (%v), want Hookflow's headers and the custom one", posts[0].RawMessage, err)
	}
}
