package activities_test

import (
	"context"
	"testing"
	"time"

	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/testenv"
)

// watcher counts the endpoint changes it hears of.
type watcher struct{ heard []string }

func (w *watcher) EndpointChanged(_ context.Context, webhookID string) error {
	w.heard = append(w.heard, webhookID)
	return nil
}

func (f *inlineFixture) attempt(t *testing.T, w *watcher, kind hookflow.AttemptKind) activities.AttemptOutput {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(activities.New(testDB.Stores.Deliveries, countingPoster{&f.posts, &f.last}, testenv.DiscardLogger(),
		activities.WithEndpointPolicy(hookflow.DefaultEndpointPolicy, time.Minute), activities.WithEndpointWatcher(w)))
	in := f.input("gate-" + testenv.RandomID(4) + "/1")
	in.Kind = kind
	val, err := env.ExecuteActivity("Attempt", in)
	if err != nil {
		t.Fatal(err)
	}
	var out activities.AttemptOutput
	if err := val.Get(&out); err != nil {
		t.Fatal(err)
	}
	return out
}

func (f *inlineFixture) setHealth(t *testing.T, state hookflow.EndpointState, probeAt time.Time, reason string) string {
	t.Helper()
	var webhookID string
	err := testDB.DB.Pool().QueryRow(context.Background(), `
		INSERT INTO endpoint_health (webhook_id, state, consecutive_failures, probe_at, cooldown_ms, disabled_reason, failing_since)
		SELECT webhook_id, $2, 5, $3, 30000, nullif($4, ''), now() FROM deliveries WHERE id = $1
		ON CONFLICT (webhook_id) DO UPDATE SET state = $2, probe_at = $3, disabled_reason = nullif($4, '')
		RETURNING webhook_id::text`, f.deliveryID, string(state), probeAt, reason).Scan(&webhookID)
	if err != nil {
		t.Fatal(err)
	}
	return webhookID
}

func TestAnOpenCircuitPausesScheduledAttemptsButNotManualOnes(t *testing.T) {
	f := newInlineFixture(t)
	probeAt := time.Now().Add(time.Hour).UTC().Truncate(time.Millisecond)
	f.setHealth(t, hookflow.EndpointOpen, probeAt, "")
	w := &watcher{}
	out := f.attempt(t, w, hookflow.ScheduledAttempt)
	if out.Wait == nil || out.Wait.Reason != "circuit open" || out.Wait.Until.Before(probeAt) || out.Wait.Until.After(probeAt.Add(5*time.Second)) || f.posts != 0 {
		t.Fatalf("output %+v after %d posts, want a wait until the probe (spread a little) and no POST", out, f.posts)
	}
	if n := count(t, `SELECT count(*) FROM deliveries WHERE id = $1 AND next_retry_at = $2`, f.deliveryID, out.Wait.Until); n != 1 {
		t.Error("the delivery does not show when it resumes")
	}
	if n := count(t, `SELECT count(*) FROM attempt_intents WHERE delivery_id = $1`, f.deliveryID); n != 0 {
		t.Errorf("%d intents recorded while paused, want none", n)
	}
	// A person asked: the manual attempt passes the open circuit.
	out = f.attempt(t, w, hookflow.ManualAttempt)
	if out.Recorded == nil || !out.Recorded.Success || f.posts != 1 {
		t.Fatalf("manual attempt %+v after %d posts, want made", out, f.posts)
	}
	// Its success closed the circuit, and the watcher heard of it.
	if n := count(t, `SELECT count(*) FROM endpoint_health h JOIN deliveries d ON d.webhook_id = h.webhook_id WHERE d.id = $1 AND h.state = 'closed'`, f.deliveryID); n != 1 {
		t.Error("the success did not close the circuit")
	}
	if len(w.heard) != 1 {
		t.Errorf("watcher heard %v, want one change", w.heard)
	}
}

func TestADueProbeIsMadeByTheDeliveryThatClaimsIt(t *testing.T) {
	f := newInlineFixture(t)
	webhookID := f.setHealth(t, hookflow.EndpointOpen, time.Now().Add(-time.Second), "")
	out := f.attempt(t, &watcher{}, hookflow.ScheduledAttempt)
	if out.Recorded == nil || f.posts != 1 {
		t.Fatalf("output %+v after %d posts, want the probe made", out, f.posts)
	}
	h, err := testDB.Stores.Deliveries.EndpointHealth(context.Background(), webhookID)
	if err != nil || !h.Healthy() {
		t.Fatalf("health after the probe succeeded %+v, %v", h, err)
	}
}

func TestADisabledEndpointEndsEveryAttempt(t *testing.T) {
	for _, kind := range []hookflow.AttemptKind{hookflow.ManualAttempt, hookflow.ScheduledAttempt} {
		f := newInlineFixture(t)
		f.setHealth(t, hookflow.EndpointDisabled, time.Time{}, hookflow.GoneReason)
		out := f.attempt(t, &watcher{}, kind)
		if out.Ended == nil || out.Ended.Reason != "endpoint disabled: "+hookflow.GoneReason || out.Ended.Status != hookflow.StatusFailed {
			t.Fatalf("kind %v: output %+v, want ended with the reason", kind, out.Ended)
		}
		if f.posts != 0 {
			t.Errorf("kind %v: %d posts to a disabled endpoint", kind, f.posts)
		}
		if n := count(t, `SELECT count(*) FROM deliveries WHERE id = $1 AND status = 'failed' AND failure_reason = $2`, f.deliveryID, "endpoint disabled: "+hookflow.GoneReason); n != 1 {
			t.Errorf("kind %v: the delivery did not end failed with the reason", kind)
		}
	}
}
