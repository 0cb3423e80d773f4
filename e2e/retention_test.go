package e2e_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

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
	// Rows dated back by hand: the API cannot publish into the past. A
	// 40-day-old window keeps other tests' rows out of the counts.
	seed := func(age time.Duration, status string) string {
		id := "ret-" + testenv.RandomID(6)
		at := time.Now().Add(-age)
		_, err := testDB.DB.Pool().Exec(ctx, `
			WITH e AS (INSERT INTO events (id, event_type, payload, created_at) VALUES ($1, 'shift.created', '{}', $2) RETURNING id),
			     d AS (INSERT INTO deliveries (id, event_id, webhook_id, event_type, client_id, url, status, attempt_count, created_at)
			           SELECT gen_random_uuid(), e.id, $3, 'shift.created', $4, 'https://example.com', $5, 2, $2 FROM e RETURNING id)
			INSERT INTO attempts (id, delivery_id, attempt_number, url, success, created_at)
			SELECT gen_random_uuid(), d.id, n, 'https://example.com', false, $2 FROM d, generate_series(1, 2) n`,
			id, at, w["id"], tn.clientID, status)
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	old := []string{seed(41*day, "succeeded"), seed(41*day, "failed"), seed(41*day, "succeeded")}
	young := seed(39*day, "succeeded")
	retrying := seed(41*day, "retrying")

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
