package storage_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
)

// newOrgWebhook creates a subscription to one event that the package's
// other tests do not list, since they share the database.
func newOrgWebhook(t *testing.T) *hookflow.Webhook {
	t.Helper()
	id := testenv.RandomID(4)
	w := &hookflow.Webhook{Kind: hookflow.KindOrganization, ClientID: "org-client-" + id, OrganizationID: "org-" + id,
		URL: "https://example.com/" + id, Events: []string{"shift.request.created"}, Secrets: []string{"ecg-secret-key"}}
	if err := testDB.Stores.Webhooks.CreateWebhook(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	return w
}

func shiftCreated(t *testing.T) hookflow.CatalogEventRef {
	t.Helper()
	ev, err := testDB.Stores.Activity.ActivityEvent(context.Background(), "shift.created", "v1", true)
	if err != nil {
		t.Fatal(err)
	}
	return *ev
}

func TestAnAddedPostIsAnActivityBeforeItIsMadeAndLinksToThePostItRetries(t *testing.T) {
	ctx := context.Background()
	w := newOrgWebhook(t)
	ev := shiftCreated(t)
	later := time.Now().Add(time.Hour)
	first, err := testDB.Stores.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *w, Event: ev, Data: json.RawMessage(`{"n":1}`),
		RawMessage: json.RawMessage(`{"source":"desk"}`), PostAt: &later, CreatedBy: "nurse"})
	if err != nil {
		t.Fatal(err)
	}
	if first.NextRetryAt == nil || !first.NextRetryAt.Equal(later.Truncate(time.Microsecond)) || first.Status != hookflow.StatusPending {
		t.Errorf("scheduled delivery = %+v, want pending and due at %v", first, later)
	}
	a, err := testDB.Stores.Activity.Activity(ctx, w.ID, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Type != hookflow.ActivityAdded || a.PostedAt != nil || a.Posted() || string(a.RawMessage) != `{"source": "desk"}` ||
		!strings.Contains(a.Payload, `"data":{"n":1}`) || a.Event.ID != ev.ID || a.CreatedBy != "nurse" {
		t.Errorf("pending activity = %+v", a)
	}

	second, err := testDB.Stores.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *w, Event: ev, Data: json.RawMessage(`{"n":2}`), RetryingFromID: first.ID})
	if err != nil {
		t.Fatal(err)
	}
	outcomeID, deliveryID, err := testDB.Stores.Activity.RecordOutcome(ctx, w.ID, hookflow.Outcome{ActivityID: second.ID, OriginalActivityID: first.ID,
		Success: true, HTTPStatusCode: 200, RawResponse: json.RawMessage(`{"ack":true}`)})
	if err != nil || deliveryID != second.ID {
		t.Fatalf("outcome = %s of %s, %v; want one of %s", outcomeID, deliveryID, err, second.ID)
	}
	tree, err := testDB.Stores.Activity.ActivityTree(ctx, w.ID, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(tree) != 3 || tree[0].ID != first.ID || tree[1].ID != second.ID || tree[1].Level != 2 || tree[1].RetryingFromID != first.ID ||
		tree[2].ID != outcomeID || tree[2].Level != 3 || tree[2].Type != hookflow.ActivityOutcome {
		t.Errorf("tree = %+v", tree)
	}
	settled, err := testDB.Stores.Deliveries.Delivery(ctx, second.ID)
	if err != nil || settled.Status != hookflow.StatusSucceeded {
		t.Errorf("delivery after a successful outcome = %+v, %v", settled, err)
	}
	succeeded, total, err := testDB.Stores.Activity.Activations(ctx, hookflow.ActivityFilter{SubscriptionID: w.ID, Status: hookflow.ActivitySucceeded, Page: hookflow.Page{Take: 10}})
	if err != nil || total != 1 || succeeded[0].ID != second.ID || !succeeded[0].Success {
		t.Errorf("succeeded activations = %+v (%d), %v", succeeded, total, err)
	}
}

func TestActivityOfAnotherSubscriptionIsNotFound(t *testing.T) {
	ctx := context.Background()
	a, b := newOrgWebhook(t), newOrgWebhook(t)
	del, err := testDB.Stores.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *a, Event: shiftCreated(t), Data: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	for _, err := range []error{
		func() error { _, err := testDB.Stores.Activity.Activity(ctx, b.ID, del.ID); return err }(),
		func() error { _, err := testDB.Stores.Activity.ActivityTree(ctx, b.ID, del.ID); return err }(),
		func() error {
			_, _, err := testDB.Stores.Activity.RecordOutcome(ctx, b.ID, hookflow.Outcome{ActivityID: del.ID})
			return err
		}(),
		func() error { _, err := testDB.Stores.Activity.Activity(ctx, a.ID, "not-a-uuid"); return err }(),
	} {
		if err != hookflow.ErrActivityNotFound {
			t.Errorf("err = %v, want %v", err, hookflow.ErrActivityNotFound)
		}
	}
	if _, err := testDB.Stores.Activity.Activation(ctx, b.ID, del.ID); err != hookflow.ErrActivationNotFound {
		t.Errorf("activation err = %v", err)
	}
}
