package activities_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/testenv"
)

// runStep runs one step of an attempt as the worker would.
func runStep[In, Out any](t *testing.T, name string, in In) Out {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(activities.New(testDB.Stores.Deliveries, neverPost{t}, testenv.DiscardLogger()))
	val, err := env.ExecuteActivity(name, in)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var out Out
	if err := val.Get(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

// seedWebhook creates a user webhook to every event through the webhook
// store, signed with secrets (or testenv.TestSecret when none are given).
func seedWebhook(t *testing.T, secrets ...string) uuid.UUID {
	t.Helper()
	return newClientWebhook(t, &hookflow.Webhook{URL: "https://example.com/hook", Secrets: secrets})
}

func count(t *testing.T, query string, args ...any) int {
	t.Helper()
	var n int
	if err := testDB.DB.Pool().QueryRow(context.Background(), query, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestBeginRunTwiceKeepsOneIntent(t *testing.T) {
	_, deliveryID := seedDelivery(t, seedWebhook(t), time.Minute, "pending", 0)
	in := activities.BeginInput{DeliveryID: deliveryID.String(), Kind: hookflow.ScheduledAttempt, Key: "run-1/1"}
	first := runStep[activities.BeginInput, activities.BeginResult](t, "Begin", in)
	again := runStep[activities.BeginInput, activities.BeginResult](t, "Begin", in)
	if first.AttemptID == "" || again.AttemptID != first.AttemptID {
		t.Fatalf("begins = %+v, %+v; want one attempt id", first, again)
	}
	if n := count(t, `SELECT count(*) FROM attempt_intents WHERE delivery_id = $1`, deliveryID); n != 1 {
		t.Errorf("%d intents, want 1", n)
	}
	// An intent is not an attempt yet: the logs show none.
	d, err := testDB.Stores.Deliveries.Delivery(context.Background(), deliveryID.String())
	if err != nil {
		t.Fatal(err)
	}
	entries, _, err := testDB.Stores.Logs.SearchLogs(context.Background(), hookflow.LogFilter{ClientID: d.ClientID, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.Delivery.ID == deliveryID.String() && e.LastAttempt != nil {
			t.Errorf("the logs show attempt %+v for a delivery with only an intent", e.LastAttempt)
		}
	}
}

func TestCompleteRunTwiceRecordsOneAttempt(t *testing.T) {
	_, deliveryID := seedDelivery(t, seedWebhook(t), time.Minute, "pending", 0)
	begun := runStep[activities.BeginInput, activities.BeginResult](t, "Begin",
		activities.BeginInput{DeliveryID: deliveryID.String(), Kind: hookflow.ScheduledAttempt, Key: "run-2/1"})
	next := time.Minute
	finished := time.Now().UTC().Truncate(time.Millisecond)
	in := activities.CompleteInput{DeliveryID: deliveryID.String(), AttemptID: begun.AttemptID, Kind: hookflow.ScheduledAttempt, NextDelay: &next,
		Outcome: activities.PostOutcome{URL: "https://example.com/hook", StatusCode: 503, Error: "receiver answered 503", DurationMs: 40,
			RetryAfter: 2 * time.Minute, FinishedAt: finished}}
	first := runStep[activities.CompleteInput, activities.AttemptResult](t, "Complete", in)
	again := runStep[activities.CompleteInput, activities.AttemptResult](t, "Complete", in)
	if first.AttemptID != begun.AttemptID || first.Number != 1 || again.AttemptID != first.AttemptID || again.Number != 1 {
		t.Fatalf("completions = %+v, %+v; want attempt 1 with the intent's id, twice", first, again)
	}
	if first.NextRetryAt == nil || !first.NextRetryAt.Equal(finished.Add(2*time.Minute)) {
		t.Errorf("next retry %v, want the Retry-After from the POST's end", first.NextRetryAt)
	}
	if n := count(t, `SELECT count(*) FROM attempts WHERE delivery_id = $1`, deliveryID); n != 1 {
		t.Errorf("%d attempts recorded, want 1", n)
	}
	if n := count(t, `SELECT count(*) FROM attempts a JOIN attempt_intents i ON i.id = a.id WHERE a.delivery_id = $1 AND a.created_at = i.created_at`, deliveryID); n != 1 {
		t.Error("the attempt is not dated when its intent began")
	}
	if n := count(t, `SELECT count(*) FROM attempt_intents WHERE delivery_id = $1 AND completed_at IS NULL`, deliveryID); n != 0 {
		t.Errorf("%d intents left open", n)
	}
	if n := count(t, `SELECT count(*) FROM deliveries WHERE id = $1 AND status = 'retrying' AND attempt_count = 1`, deliveryID); n != 1 {
		t.Error("the delivery did not move to retrying after its first attempt")
	}
}

func TestAScheduledAttemptOfASettledDeliveryEndsWithoutAnIntent(t *testing.T) {
	_, deliveryID := seedDelivery(t, seedWebhook(t), time.Minute, "succeeded", 1)
	res := runStep[activities.BeginInput, activities.BeginResult](t, "Begin",
		activities.BeginInput{DeliveryID: deliveryID.String(), Kind: hookflow.ScheduledAttempt, Key: "run-3/1"})
	if !res.Ended || !res.AlreadySettled || res.Status != hookflow.StatusSucceeded || res.AttemptID != "" {
		t.Errorf("begin = %+v, want ended as already succeeded", res)
	}
	if n := count(t, `SELECT count(*) FROM attempt_intents WHERE delivery_id = $1`, deliveryID); n != 0 {
		t.Errorf("%d intents, want none", n)
	}
}

// Begin makes no attempt to an archived webhook, nor of an event type the
// catalog no longer has in use, and ends the delivery with the reason.
func TestBeginEndsADeliveryOfAnArchivedWebhookOrARetiredEventType(t *testing.T) {
	archived := seedWebhook(t)
	_, toArchived := seedDelivery(t, archived, time.Minute, "retrying", 1)
	testenv.ArchiveWebhook(t, testDB, archived.String())
	_, retired := seedDelivery(t, seedWebhook(t), time.Minute, "retrying", 1)
	testenv.RetypeDelivery(t, testDB, retired.String(), "gone.from-the-catalog")
	for id, reason := range map[uuid.UUID]string{toArchived: "webhook archived", retired: "event type no longer in use in the catalog: delivered to nobody"} {
		res := runStep[activities.BeginInput, activities.BeginResult](t, "Begin",
			activities.BeginInput{DeliveryID: id.String(), Kind: hookflow.ScheduledAttempt, Key: "run/1"})
		if !res.Ended || res.Reason != reason || res.AttemptID != "" {
			t.Errorf("Begin = %+v, want ended: %s", res, reason)
		}
		if n := count(t, `SELECT count(*) FROM deliveries WHERE id = $1 AND status = 'failed' AND failure_reason = $2`, id, reason); n != 1 {
			t.Errorf("delivery %s not failed with %q", id, reason)
		}
	}
}
