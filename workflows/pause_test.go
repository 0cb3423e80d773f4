package workflows

import (
	"context"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/retry"
)

// endpoint stands for the Attempt activity in front of an endpoint's gate:
// while its circuit is open a scheduled ask is told to wait; otherwise the
// attempt is made and answered as scripted.
type endpoint struct {
	env       *testsuite.TestWorkflowEnvironment
	openUntil time.Time
	disabled  string // the disabled reason, once disabled
	slot      *time.Time
	answers   []bool // success of each attempt made; the last repeats
	asks      []activities.AttemptInput
	made      []activities.AttemptInput
	madeAt    []time.Time
}

func (e *endpoint) attempt(_ context.Context, in activities.AttemptInput) (activities.AttemptOutput, error) {
	now := e.env.Now()
	e.asks = append(e.asks, in)
	switch {
	case e.disabled != "":
		return activities.AttemptOutput{Ended: &activities.Ending{Ended: true, Reason: "endpoint disabled: " + e.disabled, Status: hookflow.StatusFailed}}, nil
	case in.Kind == hookflow.ScheduledAttempt && now.Before(e.openUntil):
		return activities.AttemptOutput{Wait: &activities.Wait{Until: e.openUntil, Reason: "circuit open"}}, nil
	case in.Kind == hookflow.ScheduledAttempt && e.slot != nil && in.Slot == nil:
		return activities.AttemptOutput{Wait: &activities.Wait{Until: *e.slot, Reason: "rate limit", Slot: true}}, nil
	}
	e.made, e.madeAt = append(e.made, in), append(e.madeAt, now)
	n := len(e.made)
	res := activities.AttemptResult{AttemptID: in.Key, Number: n, Success: e.answers[min(n, len(e.answers))-1], StatusCode: 200}
	if !res.Success {
		res.StatusCode = 503
		if in.Kind == hookflow.ScheduledAttempt && in.NextDelay != nil {
			next := now.Add(*in.NextDelay)
			res.NextRetryAt = &next
		}
	}
	return activities.AttemptOutput{Recorded: &res}, nil
}

func newEndpointEnv(t *testing.T, answers ...bool) (*testsuite.TestWorkflowEnvironment, *endpoint) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	e := &endpoint{env: env, answers: answers}
	env.RegisterActivityWithOptions(e.attempt, activity.RegisterOptions{Name: AttemptActivity})
	env.RegisterWorkflow(DeliveryWorkflow)
	return env, e
}

func TestAPausedDeliveryWaitsWithoutUsingItsScheduleOrItsAttempts(t *testing.T) {
	env, e := newEndpointEnv(t, false, true)
	in := input(time.Minute, time.Minute)
	start := env.Now()
	// The first attempt fails, then the circuit is open until 30m.
	env.RegisterDelayedCallback(func() { e.openUntil = start.Add(30 * time.Minute) }, time.Second)
	var during string
	env.RegisterDelayedCallback(func() { during = currentDetails(t, env) }, 10*time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, in)
	res := result(t, env)
	if want := "**Paused** by its endpoint (circuit open): 1 attempt(s) so far"; !strings.Contains(during, want) {
		t.Errorf("details while paused %q, want %q in them", during, want)
	}
	if res.Status != hookflow.StatusSucceeded || res.Attempts != 2 || len(e.made) != 2 {
		t.Fatalf("result %+v after %d attempts, want succeeded on the 2nd", res, len(e.made))
	}
	if len(e.asks) != 3 {
		t.Errorf("%d asks, want 3: one pause is one wait, not a loop", len(e.asks))
	}
	if at := e.madeAt[1].Sub(start); at != 30*time.Minute {
		t.Errorf("second attempt at %s, want when the circuit let it (30m)", at)
	}
	// Still the schedule's first retry: the pause used none of it.
	want := retry.Jitter(time.Minute, in.DeliveryID, 1)
	if d := e.made[1].NextDelay; d == nil || *d != want {
		t.Errorf("second attempt's next delay %v, want the schedule's second %s", d, want)
	}
}

func TestAResumeSignalEndsThePauseAfterItsDelay(t *testing.T) {
	env, e := newEndpointEnv(t, true)
	start := env.Now()
	e.openUntil = start.Add(10 * time.Hour)
	env.RegisterDelayedCallback(func() {
		e.openUntil = time.Time{} // the probe closed the circuit
		env.SignalWorkflow(EndpointResumeSignal, Resume{After: Duration(2 * time.Minute)})
	}, 5*time.Minute)
	// A second resume during the delay changes nothing.
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(EndpointResumeSignal, Resume{After: 0}) }, 6*time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Minute))
	res := result(t, env)
	if res.Status != hookflow.StatusSucceeded || len(e.made) != 1 {
		t.Fatalf("result %+v, %d attempts", res, len(e.made))
	}
	if at := e.madeAt[0].Sub(start); at != 7*time.Minute {
		t.Errorf("attempt at %s, want the resume's delay after it (7m)", at)
	}
}

func TestRetryNowIsAcceptedDuringAPauseAndAttemptsAtOnce(t *testing.T) {
	env, e := newEndpointEnv(t, true)
	start := env.Now()
	e.openUntil = start.Add(10 * time.Hour)
	update := &updateCallbacks{}
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(RetryNowUpdate, "recover-1", update) }, 5*time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Minute))
	res := result(t, env)
	if !update.accepted || !update.done || !update.result.Success {
		t.Fatalf("retry-now %+v, want accepted and successful", update)
	}
	if len(e.made) != 1 || e.made[0].Kind != hookflow.ManualAttempt || e.madeAt[0].Sub(start) != 5*time.Minute {
		t.Fatalf("attempts %+v at %v, want one manual at 5m", e.made, e.madeAt)
	}
	if res.Status != hookflow.StatusSucceeded || res.Attempts != 1 {
		t.Errorf("result %+v", res)
	}
}

func TestADisabledEndpointEndsAPausedDelivery(t *testing.T) {
	env, e := newEndpointEnv(t, true)
	e.openUntil = env.Now().Add(10 * time.Hour)
	env.RegisterDelayedCallback(func() {
		e.disabled = "receiver answered 410 Gone"
		env.SignalWorkflow(WebhookRemovedSignal, nil) // the watcher wakes it
	}, 5*time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Minute))
	res, _ := failure(t, env)
	if res.Reason != "endpoint disabled: receiver answered 410 Gone" || len(e.made) != 0 || len(e.asks) != 2 {
		t.Fatalf("result %+v after %d asks and %d attempts", res, len(e.asks), len(e.made))
	}
}

func TestARateLimitedAttemptWaitsForItsSlotAndPassesIt(t *testing.T) {
	env, e := newEndpointEnv(t, true)
	slot := env.Now().Add(1500 * time.Millisecond)
	e.slot = &slot
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Minute))
	res := result(t, env)
	if res.Status != hookflow.StatusSucceeded || len(e.asks) != 2 || len(e.made) != 1 {
		t.Fatalf("result %+v after %d asks", res, len(e.asks))
	}
	if got := e.made[0].Slot; got == nil || !got.Equal(slot) || e.madeAt[0].Before(slot) {
		t.Errorf("attempt with slot %v at %v, want in the slot %v", got, e.madeAt[0], slot)
	}
}

func TestARemovalSignalWakesAPauseOnceNotInALoop(t *testing.T) {
	env, e := newEndpointEnv(t, true)
	start := env.Now()
	e.openUntil = start.Add(time.Hour)
	// The webhook was not deleted after all (or the endpoint was
	// re-enabled into an open circuit): the delivery asks once and pauses again.
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(WebhookRemovedSignal, nil) }, 5*time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Minute))
	res := result(t, env)
	if res.Status != hookflow.StatusSucceeded || len(e.asks) != 3 {
		t.Fatalf("result %+v after %d asks, want succeeded after 3 (start, woken, the probe's time)", res, len(e.asks))
	}
	if at := e.madeAt[0].Sub(start); at != time.Hour {
		t.Errorf("attempt at %s, want when the circuit let it (1h)", at)
	}
}
