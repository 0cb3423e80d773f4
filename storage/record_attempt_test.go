package storage_test

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

// TestRecordAttemptStoresTheStatusItIsGiven: the retry rule (package retry)
// decides a delivery's status; RecordAttempt stores it, except that it never
// moves a succeeded delivery back, and refuses an attempt given none.
func TestRecordAttemptStoresTheStatusItIsGiven(t *testing.T) {
	ctx := context.Background()
	w := newOrgWebhook(t)
	d, err := testDB.Stores.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *w, Event: shiftCreated(t), Data: json.RawMessage(`{"n":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	status := func() hookflow.DeliveryStatus {
		t.Helper()
		got, err := testDB.Stores.Deliveries.Delivery(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	next := time.Now().Add(time.Minute)
	steps := []struct {
		attempt hookflow.Attempt
		kind    hookflow.AttemptKind
		want    hookflow.DeliveryStatus
	}{
		{hookflow.Attempt{ResponseStatus: 503, NextRetryAt: &next, DeliveryStatus: hookflow.StatusRetrying}, hookflow.ScheduledAttempt, hookflow.StatusRetrying},
		{hookflow.Attempt{ResponseStatus: 500, DeliveryStatus: hookflow.StatusFailed}, hookflow.ScheduledAttempt, hookflow.StatusFailed},
		{hookflow.Attempt{ResponseStatus: 200, Success: true, DeliveryStatus: hookflow.StatusSucceeded}, hookflow.ManualAttempt, hookflow.StatusSucceeded},
		// A failure whose status was read before the success: it stays succeeded.
		{hookflow.Attempt{ResponseStatus: 500, DeliveryStatus: hookflow.StatusFailed}, hookflow.ManualAttempt, hookflow.StatusSucceeded},
	}
	for i, s := range steps {
		a := s.attempt
		a.DeliveryID, a.URL = d.ID, w.URL
		if err := testDB.Stores.Deliveries.RecordAttempt(ctx, &a, s.kind); err != nil {
			t.Fatal(err)
		}
		if got := status(); got != s.want {
			t.Errorf("after attempt %d the delivery is %s, want %s", i+1, got, s.want)
		}
	}
	if err := testDB.Stores.Deliveries.RecordAttempt(ctx, &hookflow.Attempt{DeliveryID: d.ID, URL: w.URL}, hookflow.ScheduledAttempt); err == nil {
		t.Error("an attempt without a delivery status was recorded")
	}
}
