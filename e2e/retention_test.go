package e2e_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/workflows"
)

func TestRetentionWorkflowPurgesOnlySettledLogsPastRetention(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	tn := newTenant(t)
	w := s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	day := 24 * time.Hour
	// Rows made through the stores and dated back (testenv.Backdate): the API
	// cannot publish into the past. A 40-day-old window keeps other tests'
	// rows out of the counts.
	seed := func(age time.Duration, status hookflow.DeliveryStatus) string {
		ev := &hookflow.Event{ID: "ret-" + testenv.RandomID(6), EventType: "shift.created", FacilityID: tn.facilities[0]}
		ds := testenv.PublishEvent(t, testDB.Stores, ev, "shift")
		if len(ds) != 1 || ds[0].WebhookID != w["id"] {
			t.Fatalf("deliveries = %+v, want one to %v", ds, w["id"])
		}
		testenv.SettleAttempts(t, testDB.Stores, ds[0], 2, status)
		testenv.Backdate(t, testDB, ev.ID, time.Now().Add(-age))
		return ev.ID
	}
	old := []string{seed(41*day, hookflow.StatusSucceeded), seed(41*day, hookflow.StatusFailed), seed(41*day, hookflow.StatusSucceeded)}
	young := seed(39*day, hookflow.StatusSucceeded)
	retrying := seed(41*day, hookflow.StatusRetrying)

	run, err := testTemporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{ID: "retention-test-" + testenv.RandomID(4), TaskQueue: s.queue},
		workflows.RetentionWorkflow, workflows.RetentionInput{Retention: 40 * day, BatchSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	var got activities.PurgeProgress
	if err := run.Get(ctx, &got); err != nil {
		t.Fatal(err)
	}
	if !got.Done || got.Deliveries < 3 || got.Attempts < 6 || got.Events < 3 {
		t.Errorf("purge = %+v, want at least the 3 old deliveries, 6 attempts and 3 events", got)
	}
	count := func(id string) (events, deliveries int) {
		err := testDB.DB.Pool().QueryRow(ctx, `SELECT (SELECT count(*) FROM events WHERE id = $1), (SELECT count(*) FROM deliveries WHERE event_id = $1)`, id).Scan(&events, &deliveries)
		if err != nil {
			t.Fatal(err)
		}
		return events, deliveries
	}
	for _, id := range old {
		if e, d := count(id); e != 0 || d != 0 {
			t.Errorf("old event %s: %d events, %d deliveries left", id, e, d)
		}
	}
	for _, id := range []string{young, retrying} {
		if e, d := count(id); e != 1 || d != 1 {
			t.Errorf("event %s should stay: %d events, %d deliveries", id, e, d)
		}
	}
}
