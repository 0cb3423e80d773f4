package activities_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/storage"
)

// countingPoster answers 200, counts the requests and keeps the last.
type countingPoster struct {
	posts *int
	last  *egress.Request
}

func (p countingPoster) Post(_ context.Context, r egress.Request, _ func() time.Time) egress.Response {
	*p.posts++
	*p.last = r
	return egress.Response{StatusCode: 200, Body: "ok"}
}

// unrecordingStore is PostgreSQL failing to record an attempt's outcome, as
// when it goes down during the POST.
type unrecordingStore struct{ *storage.DeliveryStore }

func (unrecordingStore) RecordAttempt(context.Context, *hookflow.Attempt, hookflow.AttemptKind) error {
	return errors.New("connect: connection refused")
}

// inlineFixture is a deliverable delivery (a webhook with a secret) and a
// poster that counts what reaches the receiver.
type inlineFixture struct {
	deliveryID uuid.UUID
	posts      int
	last       egress.Request
}

func newInlineFixture(t *testing.T) *inlineFixture {
	t.Helper()
	secret, err := signing.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	webhookID := seedWebhook(t, secret)
	_, deliveryID := seedDelivery(t, webhookID, 0, "pending", 0)
	return &inlineFixture{deliveryID: deliveryID}
}

// run runs an activity on a store as the worker would.
func (f *inlineFixture) run(t *testing.T, store activities.Store, name string, in, out any) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(activities.New(store, countingPoster{&f.posts, &f.last}, testenv.DiscardLogger()))
	val, err := env.ExecuteActivity(name, in)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if err := val.Get(out); err != nil {
		t.Fatal(err)
	}
}

func (f *inlineFixture) input(key string) activities.AttemptInput {
	next := time.Minute
	return activities.AttemptInput{DeliveryID: f.deliveryID.String(), Kind: hookflow.ScheduledAttempt, Key: key, NextDelay: &next}
}

func TestAnInlineAttemptRecordsItsRequestAndOutcome(t *testing.T) {
	f := newInlineFixture(t)
	var out activities.AttemptOutput
	f.run(t, testDB.Stores.Deliveries, "Attempt", f.input("inline-"+testenv.RandomID(4)+"/1"), &out)
	if out.Recorded == nil || out.Unrecorded != nil || out.Ended != nil {
		t.Fatalf("result = %+v, want the recorded attempt only", out)
	}
	if r := out.Recorded; r.AttemptID != f.deliveryID.String() || r.Number != 1 || !r.Success || r.StatusCode != 200 || r.NextRetryAt != nil {
		t.Errorf("recorded %+v, want a successful first attempt with the delivery's id", r)
	}
	var body string
	err := testDB.DB.Pool().QueryRow(context.Background(), `SELECT request_body FROM attempts WHERE id = $1`, out.Recorded.AttemptID).Scan(&body)
	if err != nil || body != string(f.last.Body) {
		t.Errorf("recorded request %q (%v), sent %s", body, err, f.last.Body)
	}
	if n := count(t, `SELECT count(*) FROM attempt_intents WHERE delivery_id = $1 AND completed_at IS NOT NULL`, f.deliveryID); n != 1 {
		t.Errorf("%d completed intents, want 1", n)
	}
	if n := count(t, `SELECT count(*) FROM deliveries WHERE id = $1 AND status = 'succeeded' AND attempt_count = 1`, f.deliveryID); n != 1 {
		t.Error("the delivery did not settle as succeeded")
	}
}

// A local activity's result is lost with its workflow task; running it
// again must find the attempt recorded rather than post it a second time.
func TestAnInlineAttemptRunAgainAfterItsRecordDoesNotPostAgain(t *testing.T) {
	f := newInlineFixture(t)
	key := "inline-" + testenv.RandomID(4) + "/1"
	var first, again activities.AttemptOutput
	f.run(t, testDB.Stores.Deliveries, "Attempt", f.input(key), &first)
	f.run(t, testDB.Stores.Deliveries, "Attempt", f.input(key), &again)
	if f.posts != 1 {
		t.Errorf("%d POSTs, want 1", f.posts)
	}
	if first.Recorded == nil || again.Recorded == nil || *again.Recorded != *first.Recorded {
		t.Errorf("results %+v then %+v, want the same recorded attempt", first.Recorded, again.Recorded)
	}
	if n := count(t, `SELECT count(*) FROM attempts WHERE delivery_id = $1`, f.deliveryID); n != 1 {
		t.Errorf("%d attempts recorded, want 1", n)
	}
}

// An outcome PostgreSQL could not take goes back to the workflow, which
// completes it; it is never posted again. Run again before that record (the
// worker died), the attempt's outcome is unknown and it is posted again, on
// the same intent.
func TestAnInlineAttemptWhoseRecordFailsHandsItsOutcomeBack(t *testing.T) {
	f := newInlineFixture(t)
	key := "inline-" + testenv.RandomID(4) + "/1"
	var out activities.AttemptOutput
	f.run(t, unrecordingStore{testDB.Stores.Deliveries}, "Attempt", f.input(key), &out)
	u := out.Unrecorded
	if u == nil || out.Recorded != nil || u.AttemptID != f.deliveryID.String() || !u.Outcome.Success || u.Outcome.StatusCode != 200 {
		t.Fatalf("result = %+v, want the successful outcome to record", out)
	}
	if f.posts != 1 || count(t, `SELECT count(*) FROM attempts WHERE delivery_id = $1`, f.deliveryID) != 0 {
		t.Fatalf("%d POSTs, want 1 and no attempt recorded yet", f.posts)
	}

	var again activities.AttemptOutput
	f.run(t, testDB.Stores.Deliveries, "Attempt", f.input(key), &again)
	if f.posts != 2 || again.Recorded == nil || again.Recorded.AttemptID != u.AttemptID {
		t.Fatalf("%d POSTs, result %+v: want the unknown attempt posted again on its intent", f.posts, again)
	}
	var completed activities.AttemptResult
	f.run(t, testDB.Stores.Deliveries, "Complete", *u, &completed)
	if completed != *again.Recorded {
		t.Errorf("late completion %+v, want the attempt already recorded %+v", completed, *again.Recorded)
	}
	if n := count(t, `SELECT count(*) FROM attempts WHERE delivery_id = $1`, f.deliveryID); n != 1 {
		t.Errorf("%d attempts recorded, want 1", n)
	}
	if n := count(t, `SELECT count(*) FROM attempt_intents WHERE delivery_id = $1`, f.deliveryID); n != 1 {
		t.Errorf("%d intents, want 1", n)
	}
}

func TestAnInlineAttemptOfASettledDeliveryEndsWithoutPosting(t *testing.T) {
	_, deliveryID := seedDelivery(t, seedWebhook(t), time.Minute, "failed", 8)
	in := activities.AttemptInput{DeliveryID: deliveryID.String(), Kind: hookflow.ScheduledAttempt, Key: "inline-" + testenv.RandomID(4) + "/1"}
	out := runStep[activities.AttemptInput, activities.AttemptOutput](t, "Attempt", in) // fails the test on a POST
	if out.Ended == nil || !out.Ended.AlreadySettled || out.Ended.Status != hookflow.StatusFailed || out.Recorded != nil {
		t.Errorf("result = %+v, want ended as already failed", out)
	}
	if n := count(t, `SELECT count(*) FROM attempt_intents WHERE delivery_id = $1`, deliveryID); n != 0 {
		t.Errorf("%d intents, want none", n)
	}
}

// TestCompleteOfAManualFailureKeepsTheDeliverysStatus: the status an outcome
// leads to depends on the delivery's (retry.Status), which Complete reads
// anew; a failed manual attempt leaves a failed delivery failed and a
// pending one retrying, and touches neither's next retry.
func TestCompleteOfAManualFailureKeepsTheDeliverysStatus(t *testing.T) {
	// A failed delivery whose schedule ran out, a retrying one without a
	// next retry (a pending one after a manual failure), a pending one.
	retryingUnscheduled := func(t *testing.T) uuid.UUID {
		_, id := seedDelivery(t, seedWebhook(t), time.Minute, "pending", 0)
		testenv.RecordManualAttempt(t, testDB.Stores, &hookflow.Attempt{DeliveryID: id.String(), URL: "https://example.com/hook", ResponseStatus: 500})
		return id
	}
	for _, tt := range []struct {
		status, want string
		seed         func(*testing.T) uuid.UUID
	}{
		{"failed", "failed", func(t *testing.T) uuid.UUID {
			_, id := seedDelivery(t, seedWebhook(t), time.Minute, "failed", 1)
			return id
		}},
		{"retrying", "retrying", retryingUnscheduled},
		{"pending", "retrying", func(t *testing.T) uuid.UUID {
			_, id := seedDelivery(t, seedWebhook(t), time.Minute, "pending", 0)
			return id
		}},
	} {
		deliveryID := tt.seed(t)
		id := deliveryID.String()
		begun := runStep[activities.BeginInput, activities.BeginResult](t, "Begin",
			activities.BeginInput{DeliveryID: id, Kind: hookflow.ManualAttempt, Key: "manual-" + testenv.RandomID(4)})
		res := runStep[activities.CompleteInput, activities.AttemptResult](t, "Complete", activities.CompleteInput{
			DeliveryID: id, AttemptID: begun.AttemptID, Kind: hookflow.ManualAttempt,
			Outcome: activities.PostOutcome{URL: "https://example.com/hook", StatusCode: 500, Error: "receiver answered 500", FinishedAt: time.Now()}})
		if res.Success || res.NextRetryAt != nil {
			t.Errorf("%s: manual failure = %+v, want a failure with no next retry", tt.status, res)
		}
		if n := count(t, `SELECT count(*) FROM deliveries WHERE id = $1 AND status = $2 AND next_retry_at IS NULL`, deliveryID, tt.want); n != 1 {
			t.Errorf("a %s delivery after a failed manual attempt is not %s", tt.status, tt.want)
		}
	}
}
