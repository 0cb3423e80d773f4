package storage_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
)

func TestAnIntentKeyedTwiceIsOneIntentThatKeepsTheLastRequestSent(t *testing.T) {
	ctx := context.Background()
	w := newOrgWebhook(t)
	d, err := testDB.Stores.Activity.AddActivityPost(ctx, hookflow.ActivityPost{Subscription: *w, Event: shiftCreated(t), Data: json.RawMessage(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	key := "run-" + testenv.RandomID(4) + "/1"
	intent := hookflow.AttemptIntent{DeliveryID: d.ID, Key: key, URL: w.URL, Kind: hookflow.ScheduledAttempt}
	id, reused, err := testDB.Stores.Deliveries.BeginAttempt(ctx, intent)
	if err != nil || reused || id != d.ID {
		t.Fatalf("first intent = %s, reused %v, %v; want a new one with the delivery's id %s", id, reused, err, d.ID)
	}
	if _, err := testDB.Stores.Deliveries.AttemptOfIntent(ctx, key); hookflow.ErrorCodeOf(err) != hookflow.ENOTFOUND {
		t.Errorf("attempt of an open intent: %v, want not found", err)
	}

	intent.Request = &hookflow.SentRequest{Body: []byte(`{"n":1}`), Headers: map[string]string{"webhook-id": d.ID}, Timestamp: 1700000000}
	again, reused, err := testDB.Stores.Deliveries.BeginAttempt(ctx, intent)
	if err != nil || !reused || again != id {
		t.Fatalf("same key again = %s, reused %v, %v; want %s reused", again, reused, err, id)
	}
	intent.Request = nil // a split attempt's Begin knows no request yet
	if _, _, err := testDB.Stores.Deliveries.BeginAttempt(ctx, intent); err != nil {
		t.Fatal(err)
	}
	var body string
	var ts int64
	if err := testDB.DB.Pool().QueryRow(ctx, `SELECT request_body, webhook_timestamp FROM attempt_intents WHERE key = $1`, key).Scan(&body, &ts); err != nil {
		t.Fatal(err)
	}
	if body != `{"n":1}` || ts != 1700000000 {
		t.Errorf("intent keeps %q at %d, want the request sent", body, ts)
	}

	other, reused, err := testDB.Stores.Deliveries.BeginAttempt(ctx, hookflow.AttemptIntent{DeliveryID: d.ID, Key: key + "0", URL: w.URL, Kind: hookflow.ManualAttempt})
	if err != nil || reused || other == id {
		t.Errorf("another step's intent = %s, reused %v, %v; want a new id", other, reused, err)
	}

	a := &hookflow.Attempt{ID: id, DeliveryID: d.ID, URL: w.URL, ResponseStatus: 200, Success: true}
	if err := testDB.Stores.Deliveries.RecordAttempt(ctx, a, hookflow.ScheduledAttempt); err != nil {
		t.Fatal(err)
	}
	stored, err := testDB.Stores.Deliveries.AttemptOfIntent(ctx, key)
	if err != nil || stored.ID != id || stored.Number != 1 || !stored.Success {
		t.Errorf("attempt of the intent = %+v, %v; want attempt 1 with its id", stored, err)
	}
}

func TestCountRetryingCountsOnlyRetryingDeliveriesThroughItsIndex(t *testing.T) {
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "backlog")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx) })
	if _, err := db.DB.Pool().Exec(ctx, `INSERT INTO events (id, event_type, payload) VALUES ('e1', 'facility.creation.accepted', '{}')`); err != nil {
		t.Fatal(err)
	}
	for _, status := range []string{"pending", "retrying", "retrying", "succeeded", "failed"} {
		_, err := db.DB.Pool().Exec(ctx, `
			WITH w AS (INSERT INTO webhooks (kind, client_id, url, events) VALUES ('user', 'c', 'https://example.com', '{all}') RETURNING id)
			INSERT INTO deliveries (id, event_id, webhook_id, event_type, client_id, url, status)
			SELECT gen_random_uuid(), 'e1', w.id, 'facility.creation.accepted', 'c', 'https://example.com', $1 FROM w`, status)
		if err != nil {
			t.Fatal(err)
		}
	}
	n, err := db.Stores.Deliveries.CountRetrying(ctx)
	if err != nil || n != 2 {
		t.Fatalf("CountRetrying = %d, %v; want 2", n, err)
	}

	// With sequential scans priced out, the planner must be able to answer
	// from the partial index: scrapes stay cheap however large the table.
	tx, err := db.DB.Pool().Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tx.Rollback(ctx) }()
	if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
		t.Fatal(err)
	}
	var plan strings.Builder
	rows, err := tx.Query(ctx, `EXPLAIN SELECT count(*) FROM deliveries WHERE status = 'retrying'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			t.Fatal(err)
		}
		plan.WriteString(line + "\n")
	}
	if !strings.Contains(plan.String(), "deliveries_retrying") {
		t.Errorf("the backlog count does not use deliveries_retrying:\n%s", plan.String())
	}
}
