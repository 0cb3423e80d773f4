package storage_test

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/retry"
	"github.com/hookflow/hookflow/storage"
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

	a := &hookflow.Attempt{ID: id, DeliveryID: d.ID, URL: w.URL, ResponseStatus: 200, Success: true, DeliveryStatus: hookflow.StatusSucceeded}
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
	for _, status := range []hookflow.DeliveryStatus{hookflow.StatusPending, hookflow.StatusRetrying, hookflow.StatusRetrying, hookflow.StatusSucceeded, hookflow.StatusFailed} {
		d := newDelivery(t, db.Stores)
		if status != hookflow.StatusPending {
			testenv.SettleAttempts(t, db.Stores, d, 1, status)
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

// newDelivery publishes a facility event to a user webhook of a client of
// its own and returns the one pending delivery it fans out to.
func newDelivery(t *testing.T, s storage.Stores) hookflow.Delivery {
	t.Helper()
	client := "client-" + testenv.RandomID(4)
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: client, URL: "https://example.com/" + client})
	ds := testenv.PublishEvent(t, s, &hookflow.Event{ID: "evt-" + testenv.RandomID(6), EventType: "facility.creation.accepted", ClientID: client,
		Data: json.RawMessage(`{"n":1}`)}, "facility")
	if len(ds) != 1 || ds[0].WebhookID != w.ID {
		t.Fatalf("deliveries = %+v, want one to %s", ds, w.ID)
	}
	return ds[0]
}

func wantNotFound(t *testing.T, err, want error, what string) {
	t.Helper()
	if err != want {
		t.Errorf("%s: err = %v, want %v", what, err, want)
	}
}

func TestDeliveryAndDeliveryTargetLoadOneDeliveryOrAreNotFound(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	published := newDelivery(t, s)
	d, err := s.Deliveries.Delivery(ctx, published.ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != published.ID || d.EventID != published.EventID || d.WebhookID != published.WebhookID || d.Status != hookflow.StatusPending ||
		d.AttemptCount != 0 || d.NextRetryAt != nil || d.URL != published.URL || d.ClientID != published.ClientID || d.EventType != "facility.creation.accepted" {
		t.Errorf("delivery = %+v, want the published %+v", d, published)
	}
	target, err := s.Deliveries.DeliveryTarget(ctx, published.ID)
	if err != nil {
		t.Fatal(err)
	}
	if target.Delivery.ID != d.ID || target.Event.ID != d.EventID || target.Event.EventType != d.EventType || string(target.Event.Data) != `{"n": 1}` ||
		target.Event.ClientID != d.ClientID || target.Webhook.ID != d.WebhookID || target.Webhook.URL != d.URL ||
		len(target.Webhook.Secrets) != 1 || target.Webhook.Secrets[0] != testenv.TestSecret || target.EventTypeRetired {
		t.Errorf("target = %+v", target)
	}
	// The target follows the webhook as it is now.
	url := "https://example.com/moved"
	if _, err := s.Webhooks.UpdateWebhook(ctx, d.WebhookID, hookflow.WebhookUpdate{URL: &url}, "c"); err != nil {
		t.Fatal(err)
	}
	if target, err := s.Deliveries.DeliveryTarget(ctx, published.ID); err != nil || target.Webhook.URL != url {
		t.Errorf("target after the webhook moved = %+v, %v; want %s", target, err, url)
	}
	for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
		_, err := s.Deliveries.Delivery(ctx, id)
		wantNotFound(t, err, storage.ErrDeliveryNotFound, "Delivery("+id+")")
		_, err = s.Deliveries.DeliveryTarget(ctx, id)
		wantNotFound(t, err, storage.ErrDeliveryNotFound, "DeliveryTarget("+id+")")
	}
}

// TestRecordAttemptLeavesTheDeliveryStatus pins the status, the schedule and
// the attempt count a recorded attempt leaves on its delivery when the
// status comes from the retry rule, as the engine's attempt gives it:
// success settles; a scheduled failure is retrying with a next retry, failed
// without; a manual attempt leaves the schedule alone and only moves a
// pending delivery to retrying; nothing unsettles a success.
func TestRecordAttemptLeavesTheDeliveryStatus(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	later := time.Now().Add(time.Hour).Truncate(time.Microsecond)
	sooner := time.Now().Add(time.Minute).Truncate(time.Microsecond)
	type step struct {
		kind        hookflow.AttemptKind
		success     bool
		nextRetryAt *time.Time
	}
	scheduled := func(success bool, next *time.Time) step { return step{hookflow.ScheduledAttempt, success, next} }
	manual := func(success bool) step { return step{hookflow.ManualAttempt, success, nil} }
	tests := []struct {
		name      string
		steps     []step
		want      hookflow.DeliveryStatus
		wantRetry *time.Time
	}{
		{"a first success settles", []step{scheduled(true, nil)}, hookflow.StatusSucceeded, nil},
		{"a failure with a next retry is retrying", []step{scheduled(false, &later)}, hookflow.StatusRetrying, &later},
		{"a failure without a next retry fails", []step{scheduled(false, nil)}, hookflow.StatusFailed, nil},
		{"a retry that succeeds settles and clears the schedule", []step{scheduled(false, &later), scheduled(true, nil)}, hookflow.StatusSucceeded, nil},
		{"a later failure moves the schedule", []step{scheduled(false, &later), scheduled(false, &sooner)}, hookflow.StatusRetrying, &sooner},
		{"retries run out", []step{scheduled(false, &later), scheduled(false, nil)}, hookflow.StatusFailed, nil},
		{"a failure after a success stays succeeded", []step{scheduled(true, nil), scheduled(false, nil)}, hookflow.StatusSucceeded, nil},
		{"a manual failure of a pending delivery is retrying without a schedule", []step{manual(false)}, hookflow.StatusRetrying, nil},
		{"a manual failure keeps the schedule", []step{scheduled(false, &later), manual(false)}, hookflow.StatusRetrying, &later},
		{"a manual failure of a failed delivery stays failed", []step{scheduled(false, nil), manual(false)}, hookflow.StatusFailed, nil},
		{"a manual success settles a failed delivery", []step{scheduled(false, nil), manual(true)}, hookflow.StatusSucceeded, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newDelivery(t, s)
			var prev *hookflow.Attempt
			for i, st := range tt.steps {
				a := &hookflow.Attempt{DeliveryID: d.ID, URL: d.URL, Success: st.success, NextRetryAt: st.nextRetryAt, ResponseStatus: 503, Duration: 12 * time.Millisecond}
				if st.success {
					a.ResponseStatus = 200
				}
				a.DeliveryStatus = ruleStatus(t, s, d.ID, st.kind, st.success, st.nextRetryAt)
				if err := s.Deliveries.RecordAttempt(ctx, a, st.kind); err != nil {
					t.Fatal(err)
				}
				if a.ID == "" || a.Number != i+1 || a.Manual != (st.kind == hookflow.ManualAttempt) || a.CreatedAt.IsZero() {
					t.Errorf("attempt %d = %+v", i+1, a)
				}
				if prev != nil && a.RetryingFromID != prev.ID {
					t.Errorf("attempt %d retries %q, want the attempt before, %s", i+1, a.RetryingFromID, prev.ID)
				}
				if prev == nil && a.RetryingFromID != "" {
					t.Errorf("a first attempt retries %q", a.RetryingFromID)
				}
				prev = a
			}
			got, err := s.Deliveries.Delivery(ctx, d.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Status != tt.want || got.AttemptCount != len(tt.steps) {
				t.Errorf("delivery is %s after %d attempts, want %s after %d", got.Status, got.AttemptCount, tt.want, len(tt.steps))
			}
			if tt.want == hookflow.StatusSucceeded && tt.steps[len(tt.steps)-1].success {
				if got.NextRetryAt != nil {
					t.Errorf("a success leaves a next retry at %v", got.NextRetryAt)
				}
				return
			}
			if tt.want == hookflow.StatusSucceeded {
				return // a failure after a success: only the status is pinned
			}
			if (got.NextRetryAt == nil) != (tt.wantRetry == nil) || (got.NextRetryAt != nil && !got.NextRetryAt.Equal(*tt.wantRetry)) {
				t.Errorf("next retry = %v, want %v", got.NextRetryAt, tt.wantRetry)
			}
		})
	}
}

func TestAttemptsAreRecordedInOrderAndReadBack(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	d := newDelivery(t, s)
	later := time.Now().Add(time.Hour)
	first := testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: d.ID, URL: d.URL, ResponseStatus: 503, ResponseBody: "busy", Duration: 1500 * time.Millisecond, NextRetryAt: &later})
	second := testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: d.ID, URL: d.URL, Error: "connection refused"})
	got, err := s.Deliveries.Attempt(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != first.ID || got.DeliveryID != d.ID || got.Number != 1 || got.ResponseStatus != 503 || got.ResponseBody != "busy" ||
		got.Duration != 1500*time.Millisecond || got.Success || got.NextRetryAt == nil || got.Error != "" || !got.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("attempt = %+v, want %+v", got, first)
	}
	all, err := s.Deliveries.Attempts(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].ID != first.ID || all[1].ID != second.ID || all[1].Number != 2 || all[1].RetryingFromID != first.ID ||
		all[1].ResponseStatus != 0 || all[1].Error != "connection refused" || all[1].NextRetryAt != nil {
		t.Errorf("attempts = %+v %+v", all[0], all[1])
	}
	none, err := s.Deliveries.Attempts(ctx, newDelivery(t, s).ID)
	if err != nil || len(none) != 0 {
		t.Errorf("attempts of an unattempted delivery = %v, %v", none, err)
	}
	for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
		if _, err := s.Deliveries.Attempt(ctx, id); hookflow.ErrorCodeOf(err) != hookflow.ENOTFOUND {
			t.Errorf("Attempt(%s) = %v, want not found", id, err)
		}
		err := s.Deliveries.RecordAttempt(ctx, &hookflow.Attempt{DeliveryID: id, URL: "https://example.com", DeliveryStatus: hookflow.StatusFailed}, hookflow.ScheduledAttempt)
		wantNotFound(t, err, storage.ErrDeliveryNotFound, "RecordAttempt of "+id)
	}
	_, err = s.Deliveries.Attempts(ctx, "not-a-uuid")
	wantNotFound(t, err, storage.ErrDeliveryNotFound, "Attempts of a malformed id")
}

func TestFailDeliveryEndsAnUnsettledDeliveryOnly(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	later := time.Now().Add(time.Hour)
	retrying := newDelivery(t, s)
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: retrying.ID, URL: retrying.URL, ResponseStatus: 500, NextRetryAt: &later})
	if err := s.Deliveries.FailDelivery(ctx, retrying.ID, "webhook deleted"); err != nil {
		t.Fatal(err)
	}
	got, err := s.Deliveries.Delivery(ctx, retrying.ID)
	if err != nil || got.Status != hookflow.StatusFailed || got.NextRetryAt != nil || got.FailureReason != "webhook deleted" || got.AttemptCount != 1 {
		t.Errorf("failed delivery = %+v, %v", got, err)
	}
	succeeded := newDelivery(t, s)
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: succeeded.ID, URL: succeeded.URL, ResponseStatus: 200, Success: true})
	if err := s.Deliveries.FailDelivery(ctx, succeeded.ID, "too late"); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Deliveries.Delivery(ctx, succeeded.ID); err != nil || got.Status != hookflow.StatusSucceeded {
		t.Errorf("failing a succeeded delivery left %+v, %v; want it succeeded", got, err)
	}
	wantNotFound(t, s.Deliveries.FailDelivery(ctx, "not-a-uuid", "x"), storage.ErrDeliveryNotFound, "FailDelivery of a malformed id")
	if err := s.Deliveries.FailDelivery(ctx, uuid.NewString(), "x"); err != nil {
		t.Errorf("FailDelivery of an unknown id = %v, want nothing to do", err)
	}
}

func TestUnsettledDeliveriesAreAWebhooksPendingAndRetryingOnes(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	client := "client-" + testenv.RandomID(4)
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: client})
	publish := func() hookflow.Delivery {
		ds := testenv.PublishEvent(t, s, &hookflow.Event{ID: "evt-" + testenv.RandomID(6), EventType: "facility.creation.accepted", ClientID: client}, "facility")
		if len(ds) != 1 {
			t.Fatalf("deliveries = %+v", ds)
		}
		return ds[0]
	}
	later := time.Now().Add(time.Hour)
	pending, retrying, succeeded, failed := publish(), publish(), publish(), publish()
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: retrying.ID, URL: w.URL, NextRetryAt: &later})
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: succeeded.ID, URL: w.URL, Success: true})
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: failed.ID, URL: w.URL})
	got, err := s.Deliveries.UnsettledDeliveries(ctx, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	want := []string{pending.ID, retrying.ID}
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("unsettled = %v, want the pending and the retrying %v", got, want)
	}
	if got, err := s.Deliveries.UnsettledDeliveries(ctx, uuid.NewString()); err != nil || len(got) != 0 {
		t.Errorf("unsettled of an unknown webhook = %v, %v", got, err)
	}
	_, err = s.Deliveries.UnsettledDeliveries(ctx, "not-a-uuid")
	wantNotFound(t, err, hookflow.ErrWebhookNotFound, "UnsettledDeliveries of a malformed id")
}

// StrandedDeliveries reads every unsettled delivery due before the cutoff,
// so it runs on a database of its own where no other test's rows are due.
func TestStrandedDeliveriesPagesUnsettledDueDeliveriesInDueOrder(t *testing.T) {
	ctx := context.Background()
	s := newDatabase(t).Stores
	var pending []hookflow.Delivery
	for range 5 {
		pending = append(pending, newDelivery(t, s))
	}
	// Due a minute ago from its retry, it comes before the pending ones.
	overdue := newDelivery(t, s)
	past, later := time.Now().Add(-time.Hour), time.Now().Add(24*time.Hour)
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: overdue.ID, URL: overdue.URL, NextRetryAt: &past})
	backoff := newDelivery(t, s)
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: backoff.ID, URL: backoff.URL, NextRetryAt: &later})
	settled := newDelivery(t, s)
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: settled.ID, URL: settled.URL, Success: true})

	want := []string{overdue.ID}
	for _, d := range pending {
		want = append(want, d.ID)
	}
	var got []string
	var cursor hookflow.DueCursor
	cutoff := time.Now().Add(time.Second)
	pages := 0
	for {
		page, err := s.Deliveries.StrandedDeliveries(ctx, cutoff, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		pages++
		if len(page) > 2 {
			t.Fatalf("page of %d, want at most 2", len(page))
		}
		for _, d := range page {
			got = append(got, d.ID)
		}
		if len(page) < 2 || pages > 10 {
			break
		}
		cursor = cursor.Next(page[len(page)-1])
	}
	// Pending deliveries are due from their creation, in creation order
	// unless two share a timestamp, then by id: compare as sets past the first.
	if len(got) != len(want) || got[0] != overdue.ID {
		t.Fatalf("stranded = %v, want %v (the overdue retry first)", got, want)
	}
	rest := slices.Clone(got[1:])
	slices.Sort(rest)
	wantRest := slices.Clone(want[1:])
	slices.Sort(wantRest)
	// Three full pages, then an empty one that ends the walk.
	if !slices.Equal(rest, wantRest) || pages != 4 {
		t.Errorf("stranded = %v in %d pages, want %v in 3 full ones and an empty one", got, pages, want)
	}
	early, err := s.Deliveries.StrandedDeliveries(ctx, pending[0].CreatedAt, hookflow.DueCursor{}, 100)
	if err != nil || len(early) != 1 || early[0].ID != overdue.ID {
		t.Errorf("due before the first pending delivery = %+v, %v; want the overdue retry only", early, err)
	}
}

func TestRecordRequestAndCompleteAttemptKeepTheRequestAndAreIdempotent(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	d := newDelivery(t, s)
	key := "run-" + testenv.RandomID(4) + "/1"
	id, _, err := s.Deliveries.BeginAttempt(ctx, hookflow.AttemptIntent{DeliveryID: d.ID, Key: key, URL: d.URL, Kind: hookflow.ScheduledAttempt})
	if err != nil {
		t.Fatal(err)
	}
	sent := hookflow.SentRequest{Body: []byte(`{"sent":1}`), Headers: map[string]string{"webhook-id": d.ID}, Timestamp: 1700000001,
		CustomHeaders: map[string]string{"authorization": "Bearer recorded-token"}}
	if err := s.Deliveries.RecordRequest(ctx, d.ID, id, sent); err != nil {
		t.Fatal(err)
	}
	a := &hookflow.Attempt{ID: id, DeliveryID: d.ID, URL: d.URL, ResponseStatus: 200, Success: true, DeliveryStatus: hookflow.StatusSucceeded}
	if err := s.Deliveries.CompleteAttempt(ctx, a, hookflow.ScheduledAttempt); err != nil {
		t.Fatal(err)
	}
	if a.ID != id || a.Number != 1 {
		t.Fatalf("completed = %+v, want attempt 1 with the intent's id %s", a, id)
	}
	var body string
	var ts int64
	var custom *string
	if err := testDB.DB.Pool().QueryRow(ctx, `SELECT request_body, webhook_timestamp, sealed_custom_headers FROM attempts WHERE id = $1`, id).Scan(&body, &ts, &custom); err != nil {
		t.Fatal(err)
	}
	if body != `{"sent":1}` || ts != 1700000001 {
		t.Errorf("attempt keeps %q at %d, want the recorded request", body, ts)
	}
	if custom == nil || strings.Contains(*custom, "recorded-token") {
		t.Errorf("attempt keeps custom headers %v, want them sealed", custom)
	}
	// Completing again (the step retried) records nothing more and answers the stored attempt.
	again := &hookflow.Attempt{ID: id, DeliveryID: d.ID, URL: d.URL, ResponseStatus: 500}
	if err := s.Deliveries.CompleteAttempt(ctx, again, hookflow.ScheduledAttempt); err != nil {
		t.Fatal(err)
	}
	if again.ResponseStatus != 200 || !again.Success || again.Number != 1 {
		t.Errorf("completed again = %+v, want the stored success", again)
	}
	if all, err := s.Deliveries.Attempts(ctx, d.ID); err != nil || len(all) != 1 {
		t.Errorf("attempts after completing twice = %d, %v; want 1", len(all), err)
	}
	if err := s.Deliveries.CompleteAttempt(ctx, &hookflow.Attempt{DeliveryID: d.ID}, hookflow.ScheduledAttempt); err == nil {
		t.Error("completing an attempt without an id succeeded")
	}
	if err := s.Deliveries.RecordRequest(ctx, d.ID, "not-a-uuid", hookflow.SentRequest{}); err == nil {
		t.Error("recording the request of a malformed attempt id succeeded")
	}
	for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
		_, _, err := s.Deliveries.BeginAttempt(ctx, hookflow.AttemptIntent{DeliveryID: id, Key: "k-" + testenv.RandomID(4), URL: d.URL})
		wantNotFound(t, err, storage.ErrDeliveryNotFound, "BeginAttempt of "+id)
	}
}

// ruleStatus is the status the retry rule gives an attempt of delivery id,
// as the engine computes it before recording.
func ruleStatus(t *testing.T, s storage.Stores, id string, kind hookflow.AttemptKind, success bool, next *time.Time) hookflow.DeliveryStatus {
	t.Helper()
	d, err := s.Deliveries.Delivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	o := retry.Outcome{Kind: kind, Success: success, FinishedAt: now}
	if next != nil {
		delay := next.Sub(now)
		o.NextDelay = &delay
	}
	return retry.Status(d.Status, o)
}

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

// TestProcessorTargetsAreTheWebhooksDeliveringAnEventToAPath: the built-in
// test receivers check a signature against these webhooks' secrets, opened.
func TestProcessorTargetsAreTheWebhooksDeliveringAnEventToAPath(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	d := newDelivery(t, s)
	path := strings.TrimPrefix(d.URL, "https://example.com")
	targets, err := s.Deliveries.ProcessorTargets(ctx, d.EventID, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(targets) != 1 || targets[0].ID != d.WebhookID || len(targets[0].Secrets) != 1 || targets[0].Secrets[0] != testenv.TestSecret {
		t.Errorf("targets = %+v, want webhook %s with its secret", targets, d.WebhookID)
	}
	for what, args := range map[string][2]string{"another path": {d.EventID, "/elsewhere"}, "another event": {"evt-none", path}} {
		if targets, err := s.Deliveries.ProcessorTargets(ctx, args[0], args[1]); err != nil || len(targets) != 0 {
			t.Errorf("%s: targets = %+v, %v; want none", what, targets, err)
		}
	}
}

// healthFixture is an endpoint with one delivery whose attempts feed it.
type healthFixture struct {
	t        *testing.T
	webhook  *hookflow.Webhook
	delivery *hookflow.Delivery
	policy   hookflow.EndpointPolicy
}

func newHealthFixture(t *testing.T) *healthFixture {
	t.Helper()
	w := newOrgWebhook(t)
	d, err := testDB.Stores.Activity.AddActivityPost(context.Background(), hookflow.ActivityPost{Subscription: *w, Event: shiftCreated(t), Data: json.RawMessage(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	p := hookflow.EndpointPolicy{FailureThreshold: 3, Cooldown: 30 * time.Second, MaxCooldown: 100 * time.Second, DisableAfter: 10 * time.Hour}
	return &healthFixture{t: t, webhook: w, delivery: d, policy: p}
}

// record records an attempt answered code (0: no answer) at the time given,
// as the activity does, and says whether the endpoint's state changed.
func (f *healthFixture) record(at time.Time, code int, retryAfter time.Duration) bool {
	f.t.Helper()
	ctx := context.Background()
	h := f.health()
	o := &hookflow.EndpointOutcome{WebhookID: f.webhook.ID, Policy: f.policy, At: at, Success: code >= 200 && code < 300,
		StatusCode: code, RetryAfter: retryAfter, Healthy: h.Healthy()}
	a := &hookflow.Attempt{DeliveryID: f.delivery.ID, URL: f.webhook.URL, ResponseStatus: code, Success: o.Success,
		DeliveryStatus: hookflow.StatusRetrying, Endpoint: o}
	if err := testDB.Stores.Deliveries.RecordAttempt(ctx, a, hookflow.ScheduledAttempt); err != nil {
		f.t.Fatal(err)
	}
	return o.Changed
}

func (f *healthFixture) health() *hookflow.EndpointHealth {
	f.t.Helper()
	h, err := testDB.Stores.Deliveries.EndpointHealth(context.Background(), f.webhook.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func (f *healthFixture) changes() []hookflow.EndpointChange {
	f.t.Helper()
	c, err := testDB.Stores.Deliveries.EndpointChanges(context.Background(), f.webhook.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func TestAHealthyEndpointWritesNoRowAndARunOfFailuresOpensItsCircuit(t *testing.T) {
	f := newHealthFixture(t)
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	if f.record(t0, 200, 0) || f.health() != nil {
		t.Fatalf("a success on a healthy endpoint wrote %+v", f.health())
	}
	target, err := testDB.Stores.Deliveries.DeliveryTarget(context.Background(), f.delivery.ID)
	if err != nil || target.Health != nil {
		t.Fatalf("target of a healthy endpoint: health %+v, %v; want none", target.Health, err)
	}
	f.record(t0, 503, 0)
	f.record(t0, 0, 0)
	// A 400 is the receiver judging the request: it neither counts nor resets.
	if f.record(t0, 400, 0) {
		t.Error("a 400 changed the state")
	}
	if h := f.health(); h.State != hookflow.EndpointClosed || h.ConsecutiveFailures != 2 || h.FailingSince == nil || !h.FailingSince.Equal(t0) {
		t.Fatalf("after two breaker failures and a 400: %+v", h)
	}
	if !f.record(t0.Add(time.Second), 500, 0) {
		t.Fatal("the failure reaching the threshold changed nothing")
	}
	h := f.health()
	if h.State != hookflow.EndpointOpen || h.ProbeAt == nil || !h.ProbeAt.Equal(t0.Add(31*time.Second)) || h.Cooldown != 30*time.Second {
		t.Fatalf("at the threshold: %+v, want open with its probe a cooldown later", h)
	}
	c := f.changes()
	if len(c) != 1 || c[0].Kind != hookflow.ChangeCircuitOpened || c[0].Actor != hookflow.EngineActor || c[0].PublishedAt != nil {
		t.Fatalf("changes %+v, want one circuit_opened by hookflow, unpublished", c)
	}
	target, err = testDB.Stores.Deliveries.DeliveryTarget(context.Background(), f.delivery.ID)
	if err != nil || target.Health == nil || target.Health.State != hookflow.EndpointOpen {
		t.Fatalf("target health %+v, %v; want open", target.Health, err)
	}
	// A delivery paused by the circuit shows when it resumes.
	if err := testDB.Stores.Deliveries.PauseDelivery(context.Background(), f.delivery.ID, *h.ProbeAt); err != nil {
		t.Fatal(err)
	}
	if d, err := testDB.Stores.Deliveries.Delivery(context.Background(), f.delivery.ID); err != nil || d.NextRetryAt == nil || !d.NextRetryAt.Equal(*h.ProbeAt) {
		t.Errorf("paused delivery's next retry %v, %v; want %s", d.NextRetryAt, err, h.ProbeAt)
	}
}

func TestTheProbeIsExclusiveAFailedOneDoublesTheCooldownAndASuccessCloses(t *testing.T) {
	f := newHealthFixture(t)
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	for range 3 {
		f.record(t0, 503, 0)
	}
	probeAt := t0.Add(30 * time.Second)
	if won, err := testDB.Stores.Deliveries.ClaimProbe(ctx, f.webhook.ID, f.delivery.ID, probeAt.Add(-time.Second), time.Minute); err != nil || won {
		t.Fatalf("claim before the probe is due: %v, %v; want refused", won, err)
	}
	// Ten deliveries race for the probe: one wins.
	var wg sync.WaitGroup
	wins := make(chan string, 10)
	for range 10 {
		other := newHealthDelivery(t, f.webhook)
		wg.Add(1)
		go func() {
			defer wg.Done()
			won, err := testDB.Stores.Deliveries.ClaimProbe(ctx, f.webhook.ID, other, probeAt, time.Minute)
			if err != nil {
				t.Error(err)
			}
			if won {
				wins <- other
			}
		}()
	}
	wg.Wait()
	close(wins)
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("%d deliveries won the probe, want 1", len(winners))
	}
	h := f.health()
	if h.State != hookflow.EndpointHalfOpen || h.ProbeDeliveryID != winners[0] || !h.ProbeLeaseUntil.Equal(probeAt.Add(time.Minute)) {
		t.Fatalf("after the claim: %+v", h)
	}
	// Its lease expired, another may claim it (the prober's worker died).
	if won, _ := testDB.Stores.Deliveries.ClaimProbe(ctx, f.webhook.ID, f.delivery.ID, probeAt.Add(2*time.Minute), time.Minute); !won {
		t.Fatal("an expired lease could not be claimed")
	}

	failedAt := probeAt.Add(2 * time.Minute)
	f.record(failedAt, 502, 0)
	h = f.health()
	if h.State != hookflow.EndpointOpen || h.Cooldown != time.Minute || !h.ProbeAt.Equal(failedAt.Add(time.Minute)) || h.ProbeDeliveryID != "" {
		t.Fatalf("after a failed probe: %+v, want open for twice the cooldown", h)
	}
	f.record(failedAt, 502, 0) // a manual attempt while open: no change
	if won, err := testDB.Stores.Deliveries.ClaimProbe(ctx, f.webhook.ID, f.delivery.ID, failedAt.Add(time.Minute), time.Minute); err != nil || !won {
		t.Fatalf("the second probe: %v, %v", won, err)
	}
	f.record(failedAt.Add(time.Minute), 503, 0)
	if h := f.health(); h.Cooldown != 100*time.Second {
		t.Fatalf("cooldown after a second failed probe %s, want the cap 100s", h.Cooldown)
	}

	if won, _ := testDB.Stores.Deliveries.ClaimProbe(ctx, f.webhook.ID, f.delivery.ID, failedAt.Add(time.Hour), time.Minute); !won {
		t.Fatal("a due probe could not be claimed")
	}
	if !f.record(failedAt.Add(time.Hour), 204, 0) {
		t.Fatal("the probe's success changed nothing")
	}
	h = f.health()
	if !h.Healthy() || h.LastSuccessAt == nil || h.ThresholdNotified != 0 || h.ProbeAt != nil {
		t.Fatalf("after the probe succeeded: %+v, want closed and reset", h)
	}
	if c := f.changes(); c[0].Kind != hookflow.ChangeCircuitClosed {
		t.Fatalf("latest change %+v, want circuit_closed", c[0])
	}
	// Healthy again: a success writes nothing.
	if f.record(failedAt.Add(2*time.Hour), 200, 0) {
		t.Error("a success on a healthy endpoint recorded a change")
	}
}

func newHealthDelivery(t *testing.T, w *hookflow.Webhook) string {
	t.Helper()
	d, err := testDB.Stores.Activity.AddActivityPost(context.Background(), hookflow.ActivityPost{Subscription: *w, Event: shiftCreated(t), Data: json.RawMessage(`{"n":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func TestA429WithRetryAfterOpensAtOnceAndA410Disables(t *testing.T) {
	f := newHealthFixture(t)
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	if !f.record(t0, 429, 45*time.Second) {
		t.Fatal("a 429 with Retry-After changed nothing")
	}
	if h := f.health(); h.State != hookflow.EndpointOpen || !h.ProbeAt.Equal(t0.Add(45*time.Second)) {
		t.Fatalf("after 429 Retry-After 45s: %+v, want open until then", h)
	}
	f.record(t0.Add(time.Minute), 410, 0)
	h := f.health()
	if h.State != hookflow.EndpointDisabled || h.DisabledReason != hookflow.GoneReason || h.DisabledAt == nil {
		t.Fatalf("after a 410: %+v, want disabled", h)
	}
	if c := f.changes(); c[0].Kind != hookflow.ChangeDisabled || c[0].Reason != hookflow.GoneReason {
		t.Fatalf("latest change %+v", c[0])
	}
	// Disabled stays so whatever comes: only a person enables it.
	f.record(t0.Add(2*time.Minute), 200, 0)
	if h := f.health(); h.State != hookflow.EndpointDisabled {
		t.Fatalf("a success re-enabled it: %+v", h)
	}
}

func TestAnEndpointFailingAllAlongIsAnnouncedAt50_70_90AndDisabledAt100(t *testing.T) {
	f := newHealthFixture(t)
	f.policy.FailureThreshold = 0 // the breaker off: auto-disable still runs
	t0 := time.Now().UTC().Truncate(time.Second)
	steps := []struct {
		after     time.Duration
		threshold int
	}{{0, 0}, {4 * time.Hour, 0}, {5 * time.Hour, 50}, {6 * time.Hour, 0}, {7 * time.Hour, 70}, {9*time.Hour + time.Minute, 90}, {9*time.Hour + 30*time.Minute, 0}}
	for _, s := range steps {
		before := len(f.changes())
		changed := f.record(t0.Add(s.after), 400, 0) // a 4xx counts as failing
		c := f.changes()
		if s.threshold == 0 {
			if changed || len(c) != before {
				t.Fatalf("at %s: changes %+v, want none", s.after, c)
			}
			continue
		}
		if !changed || c[0].Kind != hookflow.ChangeFailing || c[0].Threshold != s.threshold {
			t.Fatalf("at %s: latest change %+v, want failing %d", s.after, c[0], s.threshold)
		}
	}
	f.record(t0.Add(10*time.Hour), 0, 0)
	h := f.health()
	if h.State != hookflow.EndpointDisabled || h.ThresholdNotified != 100 {
		t.Fatalf("at the window: %+v, want disabled", h)
	}
	c := f.changes()
	want := "failing since " + t0.Format(time.RFC3339) + " (10h0m0s)"
	if c[0].Kind != hookflow.ChangeDisabled || c[0].Threshold != 100 || c[0].Reason != want {
		t.Fatalf("latest change %+v, want disabled 100 %q", c[0], want)
	}
	if len(c) != 4 {
		t.Errorf("%d changes, want 50, 70, 90 and disabled", len(c))
	}
	if h.State != hookflow.EndpointDisabled || h.ConsecutiveFailures != 0 {
		t.Errorf("the breaker off still counted: %+v", h)
	}
}

func TestRateLimitSlotsAreSpacedAndNeverShared(t *testing.T) {
	w := newOrgWebhook(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	spacing := 250 * time.Millisecond
	var mu sync.Mutex
	var slots []time.Time
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := testDB.Stores.Deliveries.ReserveSlot(ctx, w.ID, now, spacing)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			slots = append(slots, s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	seen := map[time.Duration]bool{}
	for _, s := range slots {
		off := s.Sub(now)
		if off < 0 || off%spacing != 0 || off >= 8*spacing || seen[off] {
			t.Fatalf("slots %v: want 8 distinct, %s apart from now", slots, spacing)
		}
		seen[off] = true
	}
	// Later than every reserved slot: now again.
	later := now.Add(time.Minute)
	if s, err := testDB.Stores.Deliveries.ReserveSlot(ctx, w.ID, later, spacing); err != nil || !s.Equal(later) {
		t.Fatalf("slot after a quiet minute %v, %v; want now", s, err)
	}
	// A rate-limited endpoint's row is a healthy one.
	if h, err := testDB.Stores.Deliveries.EndpointHealth(ctx, w.ID); err != nil || !h.Healthy() {
		t.Fatalf("health %+v, %v", h, err)
	}
}
