package storage_test

import (
	"context"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/internal/testenv"
)

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
