package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
)

func TestRecoveryMatchesTheWindowPagesByCursorAndCountsEachBatchOnce(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: "client-" + testenv.RandomID(4)})
	var failed []string
	for range 3 {
		_, d := endpointDelivery(t, w)
		testenv.SettleAttempts(t, s, d, 1, hookflow.StatusFailed)
		failed = append(failed, d.ID)
	}
	_, retrying := endpointDelivery(t, w)
	testenv.SettleAttempts(t, s, retrying, 1, hookflow.StatusRetrying)
	_, ok := endpointDelivery(t, w)
	testenv.SettleAttempts(t, s, ok, 1, hookflow.StatusSucceeded)
	oldEvent, old := endpointDelivery(t, w) // outside the window
	testenv.SettleAttempts(t, s, old, 1, hookflow.StatusFailed)
	testenv.Backdate(t, testDB, oldEvent, time.Now().Add(-3*time.Hour))

	req := hookflow.RecoveryRequest{WebhookID: w.ID, IdempotencyKey: "k-" + testenv.RandomID(6), Since: time.Now().Add(-time.Hour),
		Until: time.Now().Add(time.Minute), CreatedBy: "alice"}
	rec, created, err := s.Recoveries.CreateRecovery(ctx, req)
	if err != nil || !created {
		t.Fatalf("create: %v, created %v", err, created)
	}
	if rec.Found != 4 || rec.State != hookflow.RecoveryRunning || rec.Cursor != nil {
		t.Fatalf("recovery = %+v, want 4 found, running, no cursor", rec)
	}
	again, created, err := s.Recoveries.CreateRecovery(ctx, req)
	if err != nil || created || again.ID != rec.ID {
		t.Fatalf("same key: %+v, created %v, %v; want the same recovery", again, created, err)
	}
	onlyFailed := req
	onlyFailed.IdempotencyKey, onlyFailed.Status = "", hookflow.StatusFailed
	if r, _, err := s.Recoveries.CreateRecovery(ctx, onlyFailed); err != nil || r.Found != 3 || r.ID == rec.ID {
		t.Fatalf("failed only: %+v, %v; want a new recovery of 3", r, err)
	}

	// First batch of 2, applied twice: counted once.
	r1, page, err := s.Recoveries.RecoveryBatch(ctx, rec.ID, 2)
	if err != nil || len(page) != 2 || page[0].ID != failed[0] || page[1].ID != failed[1] {
		t.Fatalf("first page = %+v, %v", page, err)
	}
	to := &hookflow.RecoveryCursor{CreatedAt: page[1].CreatedAt, ID: page[1].ID}
	for range 2 {
		if err := s.Recoveries.AdvanceRecovery(ctx, rec.ID, r1.Cursor, to, hookflow.RecoveryProgress{Redriven: 2}, false); err != nil {
			t.Fatal(err)
		}
	}
	r2, page, err := s.Recoveries.RecoveryBatch(ctx, rec.ID, 2)
	if err != nil || r2.Redriven != 2 || r2.Cursor == nil || r2.Cursor.ID != failed[1] {
		t.Fatalf("after the first batch: %+v, %v", r2, err)
	}
	if len(page) != 2 || page[0].ID != failed[2] || page[1].ID != retrying.ID {
		t.Fatalf("second page = %+v", page)
	}
	to = &hookflow.RecoveryCursor{CreatedAt: page[1].CreatedAt, ID: page[1].ID}
	if err := s.Recoveries.AdvanceRecovery(ctx, rec.ID, r2.Cursor, to, hookflow.RecoveryProgress{Redriven: 1, Woken: 1}, false); err != nil {
		t.Fatal(err)
	}
	r3, page, err := s.Recoveries.RecoveryBatch(ctx, rec.ID, 2)
	if err != nil || len(page) != 0 {
		t.Fatalf("third page = %+v, %v; want none", page, err)
	}
	if err := s.Recoveries.AdvanceRecovery(ctx, rec.ID, r3.Cursor, nil, hookflow.RecoveryProgress{}, true); err != nil {
		t.Fatal(err)
	}
	// A failure after completion changes nothing.
	if err := s.Recoveries.FailRecovery(ctx, rec.ID, "late"); err != nil {
		t.Fatal(err)
	}
	done, err := s.Recoveries.Recovery(ctx, w.ID, rec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if done.State != hookflow.RecoveryCompleted || done.CompletedAt == nil || done.Redriven != 3 || done.Woken != 1 || done.FailureReason != "" {
		t.Errorf("done = %+v, want completed with 3 re-driven and 1 woken", done)
	}
	other := testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: w.ClientID})
	if _, err := s.Recoveries.Recovery(ctx, other.ID, rec.ID); err != hookflow.ErrRecoveryNotFound {
		t.Errorf("another webhook's recovery: err = %v", err)
	}
}

func TestFailRecoveryEndsARunningRecoveryWithItsReasonAndDeleteForgetsIt(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: "client-" + testenv.RandomID(4)})
	rec, _, err := s.Recoveries.CreateRecovery(ctx, hookflow.RecoveryRequest{WebhookID: w.ID, Since: time.Now().Add(-time.Hour), Until: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Recoveries.FailRecovery(ctx, rec.ID, "temporal down"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Recoveries.Recovery(ctx, w.ID, rec.ID)
	if err != nil || got.State != hookflow.RecoveryFailed || got.FailureReason != "temporal down" || got.CompletedAt == nil {
		t.Fatalf("failed recovery = %+v, %v", got, err)
	}
	if err := s.Recoveries.DeleteRecovery(ctx, rec.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Recoveries.Recovery(ctx, w.ID, rec.ID); err != hookflow.ErrRecoveryNotFound {
		t.Errorf("deleted recovery: err = %v", err)
	}
}
