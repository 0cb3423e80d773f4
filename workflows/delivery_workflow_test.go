package workflows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/retry"
)

// receiver scripts what each attempt returns and records when it ran. It
// stands for the inline attempt and for the three steps of a split one:
// begin, POST, complete.
type receiver struct {
	env      *testsuite.TestWorkflowEnvironment
	outcomes []activities.AttemptResult // by attempt; the last repeats
	calls    []activities.DeliverInput  // by attempt begun
	times    []time.Time                // when each attempt began
	keys     []string                   // intent keys begun
	posts    map[string]int             // POSTs by attempt id
	// completeFailures makes that many completions fail first, as with
	// PostgreSQL down.
	completeFailures int
	completions      int
	inlineCalls      int // inline attempts run, retries included
	// inlineFailures makes that many inline attempts fail before their
	// POST, as when PostgreSQL is down as they begin.
	inlineFailures int
}

func (r *receiver) outcome(i int) activities.AttemptResult {
	return r.outcomes[min(i, len(r.outcomes)-1)]
}

func (r *receiver) begin(_ context.Context, in activities.BeginInput) (activities.BeginResult, error) {
	r.calls, r.keys = append(r.calls, activities.DeliverInput{DeliveryID: in.DeliveryID, Kind: in.Kind}), append(r.keys, in.Key)
	r.times = append(r.times, r.env.Now())
	if res := r.outcome(len(r.calls) - 1); res.Ended {
		return activities.BeginResult{Ended: true, Reason: res.Reason, Status: hookflow.StatusFailed}, nil
	}
	return activities.BeginResult{AttemptID: fmt.Sprint(len(r.calls))}, nil
}

func (r *receiver) post(_ context.Context, in activities.PostInput) (activities.PostOutcome, error) {
	r.posts[in.AttemptID]++
	var n int
	_, _ = fmt.Sscan(in.AttemptID, &n)
	res := r.outcome(n - 1)
	return activities.PostOutcome{URL: "https://receiver.example", StatusCode: res.StatusCode, Error: res.Error, Success: res.Success,
		RetryAfter: retryAfterOf(res), FinishedAt: r.env.Now(), DurationMs: 12}, nil
}

func (r *receiver) complete(_ context.Context, in activities.CompleteInput) (activities.AttemptResult, error) {
	r.completions++
	if r.completions <= r.completeFailures {
		return activities.AttemptResult{}, errors.New("connect: connection refused")
	}
	var n int
	_, _ = fmt.Sscan(in.AttemptID, &n)
	r.calls[n-1].NextDelay = in.NextDelay
	o := in.Outcome
	res := activities.AttemptResult{AttemptID: in.AttemptID, Number: n, Success: o.Success, StatusCode: o.StatusCode, Error: o.Error}
	if !o.Success && in.Kind == hookflow.ScheduledAttempt && in.NextDelay != nil {
		next := o.FinishedAt.Add(max(*in.NextDelay, o.RetryAfter))
		res.NextRetryAt = &next
	}
	return res, nil
}

// inline is the one-step attempt made of the three: an error only before
// the POST, an outcome that could not be recorded handed back.
func (r *receiver) inline(ctx context.Context, in activities.AttemptInput) (activities.AttemptOutput, error) {
	r.inlineCalls++
	if r.inlineCalls <= r.inlineFailures {
		return activities.AttemptOutput{}, errors.New("connect: connection refused")
	}
	begun, _ := r.begin(ctx, activities.BeginInput{DeliveryID: in.DeliveryID, Kind: in.Kind, Key: in.Key})
	if begun.Ended {
		return activities.AttemptOutput{Ended: &begun}, nil
	}
	outcome, _ := r.post(ctx, activities.PostInput{DeliveryID: in.DeliveryID, AttemptID: begun.AttemptID})
	complete := activities.CompleteInput{DeliveryID: in.DeliveryID, AttemptID: begun.AttemptID, Kind: in.Kind, NextDelay: in.NextDelay, Outcome: outcome}
	res, err := r.complete(ctx, complete)
	if err != nil {
		return activities.AttemptOutput{Unrecorded: &complete}, nil
	}
	return activities.AttemptOutput{Recorded: &res}, nil
}

// retryAfterOf lets a scripted outcome stand for a receiver's Retry-After.
func retryAfterOf(res activities.AttemptResult) time.Duration {
	if res.StatusCode == 429 {
		return 3 * time.Hour
	}
	return 0
}

var (
	failed  = activities.AttemptResult{StatusCode: 500, Error: "receiver answered 500"}
	limited = activities.AttemptResult{StatusCode: 429, Error: "receiver answered 429"}
	ok      = activities.AttemptResult{Success: true, StatusCode: 200}
)

func newEnv(t *testing.T, outcomes ...activities.AttemptResult) (*testsuite.TestWorkflowEnvironment, *receiver) {
	t.Helper()
	return newEnvWithMetrics(t, nil, outcomes...)
}

func newEnvWithMetrics(t *testing.T, metrics client.MetricsHandler, outcomes ...activities.AttemptResult) (*testsuite.TestWorkflowEnvironment, *receiver) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	if metrics != nil {
		suite.SetMetricsHandler(metrics)
	}
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	env := suite.NewTestWorkflowEnvironment()
	r := &receiver{env: env, outcomes: outcomes, posts: map[string]int{}}
	env.RegisterActivityWithOptions(r.inline, activity.RegisterOptions{Name: AttemptActivity})
	env.RegisterActivityWithOptions(r.begin, activity.RegisterOptions{Name: BeginActivity})
	env.RegisterActivityWithOptions(r.post, activity.RegisterOptions{Name: PostActivity})
	env.RegisterActivityWithOptions(r.complete, activity.RegisterOptions{Name: CompleteActivity})
	env.RegisterWorkflow(DeliveryWorkflow)
	return env, r
}

func input(schedule ...time.Duration) DeliveryInput {
	return DeliveryInput{DeliveryID: "d-1", EventID: "e-1", WebhookID: "w-1", EventType: "shift.created", ClientID: "c-1",
		RetrySchedule: Durations(schedule), AttemptTimeout: Duration(30 * time.Second), InlineAttempts: true}
}

func result(t *testing.T, env *testsuite.TestWorkflowEnvironment) DeliveryResult {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	var res DeliveryResult
	if err := env.GetWorkflowResult(&res); err != nil {
		t.Fatal(err)
	}
	return res
}

// failure is the result a failed delivery's workflow error carries; the
// workflow must have ended as Failed with a non-retryable DeliveryFailed.
func failure(t *testing.T, env *testsuite.TestWorkflowEnvironment) (DeliveryResult, *temporal.ApplicationError) {
	t.Helper()
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	var appErr *temporal.ApplicationError
	if err := env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != FailedErrorType || !appErr.NonRetryable() {
		t.Fatalf("workflow error = %v, want a non-retryable %s", err, FailedErrorType)
	}
	var res DeliveryResult
	if err := appErr.Details(&res); err != nil {
		t.Fatalf("failure details: %v", err)
	}
	return res, appErr
}

func TestDeliveryFollowsTheJitteredScheduleThenFails(t *testing.T) {
	schedule := []time.Duration{5 * time.Second, 5 * time.Minute, 30 * time.Minute, 2 * time.Hour}
	env, r := newEnv(t, failed)
	env.ExecuteWorkflow(DeliveryWorkflow, input(schedule...))
	res, appErr := failure(t, env)
	if want := "retry schedule exhausted after 5 attempts; last: receiver answered 500"; appErr.Message() != want || res.Reason != want {
		t.Errorf("failure = %q (%q), want %q", appErr.Message(), res.Reason, want)
	}
	if res.Status != hookflow.StatusFailed || res.Attempts != len(schedule)+1 {
		t.Fatalf("result = %+v, want failed after %d attempts", res, len(schedule)+1)
	}
	if len(r.calls) != len(schedule)+1 {
		t.Fatalf("%d attempts, want %d", len(r.calls), len(schedule)+1)
	}
	for i, want := range schedule {
		gap := r.times[i+1].Sub(r.times[i])
		if gap != retry.Jitter(want, "d-1", i) {
			t.Errorf("wait %d = %v, want the jittered %v", i, gap, retry.Jitter(want, "d-1", i))
		}
		if gap < time.Duration(float64(want)*0.8) || gap > time.Duration(float64(want)*1.2) {
			t.Errorf("wait %d = %v, outside ±20%% of %v", i, gap, want)
		}
		if r.calls[i].NextDelay == nil {
			t.Errorf("attempt %d had no next delay", i+1)
		}
	}
	if r.calls[len(schedule)].NextDelay != nil {
		t.Error("the last attempt was told a retry would follow")
	}
}

func TestDeliverySucceedsOnALaterAttempt(t *testing.T) {
	env, r := newEnv(t, failed, failed, ok)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Second, time.Minute, time.Hour, time.Hour))
	res := result(t, env)
	if res.Status != hookflow.StatusSucceeded || res.Attempts != 3 || len(r.calls) != 3 {
		t.Fatalf("result = %+v after %d calls, want succeeded on the 3rd", res, len(r.calls))
	}
}

func TestRetryAfterStretchesTheWait(t *testing.T) {
	env, r := newEnv(t, limited, ok)
	env.ExecuteWorkflow(DeliveryWorkflow, input(5*time.Second, time.Minute))
	result(t, env)
	if gap := r.times[1].Sub(r.times[0]); gap < 3*time.Hour {
		t.Errorf("retry after %v, want at least the receiver's 3h Retry-After", gap)
	}
}

func TestDeletedWebhookEndsTheDelivery(t *testing.T) {
	env, r := newEnv(t, failed, activities.AttemptResult{Ended: true, Reason: "webhook deleted"})
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Minute, time.Minute, time.Minute))
	res, _ := failure(t, env)
	if res.Status != hookflow.StatusFailed || res.Reason != "webhook deleted" || len(r.calls) != 2 {
		t.Fatalf("result = %+v after %d calls, want failed with the reason after 2", res, len(r.calls))
	}
}

// updateCallbacks records an update's outcome.
type updateCallbacks struct {
	accepted bool
	rejected error
	result   activities.AttemptResult
	err      error
	done     bool
}

func (u *updateCallbacks) Accept()          { u.accepted = true }
func (u *updateCallbacks) Reject(err error) { u.rejected = err }
func (u *updateCallbacks) Complete(success any, err error) {
	u.done, u.err = true, err
	if res, ok := success.(activities.AttemptResult); ok {
		u.result = res
	}
}

func TestRetryNowDuringABackoffAttemptsAtOnceAndEndsTheWait(t *testing.T) {
	env, r := newEnv(t, failed, ok)
	first := &updateCallbacks{}
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(RetryNowUpdate, "support-req-1", first) }, 10*time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Hour, time.Hour))
	res := result(t, env)
	if !first.accepted || !first.done || first.err != nil || !first.result.Success {
		t.Fatalf("retry-now = %+v (err %v), want an accepted, successful attempt", first, first.err)
	}
	if len(r.calls) != 2 || r.calls[1].Kind != hookflow.ManualAttempt {
		t.Fatalf("%d attempts (%+v), want the scheduled one and one manual", len(r.calls), r.calls)
	}
	if gap := r.times[1].Sub(r.times[0]); gap != 10*time.Minute {
		t.Errorf("manual attempt after %v, want at once (10m, when asked)", gap)
	}
	if res.Status != hookflow.StatusSucceeded || res.Attempts != 2 {
		t.Errorf("result = %+v, want succeeded after 2", res)
	}
}

func TestFailedRetryNowKeepsTheScheduleAndIsNotRepeated(t *testing.T) {
	env, r := newEnv(t, failed, failed, ok)
	update, repeat := &updateCallbacks{}, &updateCallbacks{}
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(RetryNowUpdate, "u-1", update) }, 10*time.Minute)
	// The same Idempotency-Key again: the first outcome, no second attempt.
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(RetryNowUpdate, "u-1", repeat) }, 20*time.Minute)
	in := input(time.Hour)
	env.ExecuteWorkflow(DeliveryWorkflow, in)
	res := result(t, env)
	if !update.done || update.result.Success {
		t.Fatalf("retry-now = %+v, want a failed attempt", update)
	}
	if len(r.calls) != 3 {
		t.Fatalf("%d attempts, want scheduled, manual, scheduled", len(r.calls))
	}
	if !repeat.done || repeat.result.Number != update.result.Number || repeat.result.StatusCode != update.result.StatusCode {
		t.Errorf("repeated update = %+v, want the first outcome %+v", repeat, update.result)
	}
	if gap := r.times[2].Sub(r.times[0]); gap != retry.Jitter(time.Hour, in.DeliveryID, 0) {
		t.Errorf("scheduled retry after %v, want the schedule's %v", gap, retry.Jitter(time.Hour, in.DeliveryID, 0))
	}
	if res.Status != hookflow.StatusSucceeded || res.Attempts != 3 {
		t.Errorf("result = %+v", res)
	}
}

func TestRetryNowDuringTheLastAttemptIsRefusedAsNotWaiting(t *testing.T) {
	env, r := newEnv(t, failed)
	update := &updateCallbacks{}
	// With an empty schedule the delivery never waits: the update waits for
	// the attempt under way, which ends the delivery.
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(RetryNowUpdate, "u-1", update) }, 0)
	env.ExecuteWorkflow(DeliveryWorkflow, input())
	failure(t, env)
	err := update.rejected
	if err == nil {
		err = update.err
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) || appErr.Type() != NotWaitingErrorType {
		t.Errorf("update = %+v, want it refused with %s", update, NotWaitingErrorType)
	}
	if len(r.calls) != 1 {
		t.Errorf("%d attempts, want the scheduled one only", len(r.calls))
	}
}

func TestRetryNowAfterTheDeliveryEndedIsRejected(t *testing.T) {
	env, _ := newEnv(t, ok)
	update := &updateCallbacks{}
	env.RegisterDelayedCallback(func() { env.UpdateWorkflow(RetryNowUpdate, "u-1", update) }, time.Second)
	env.ExecuteWorkflow(DeliveryWorkflow, input(time.Hour))
	result(t, env)
	if update.accepted {
		t.Errorf("update = %+v, want rejected", update)
	}
}

func TestWebhookRemovalCutsTheBackoffShort(t *testing.T) {
	env, r := newEnv(t, failed, activities.AttemptResult{Ended: true, Reason: "webhook deleted"})
	env.RegisterDelayedCallback(func() { env.SignalWorkflow(WebhookRemovedSignal, nil) }, 5*time.Minute)
	env.ExecuteWorkflow(DeliveryWorkflow, input(10*time.Hour, 10*time.Hour))
	res, _ := failure(t, env)
	if res.Status != hookflow.StatusFailed || res.Reason != "webhook deleted" || len(r.calls) != 2 {
		t.Fatalf("result = %+v after %d calls", res, len(r.calls))
	}
	if gap := r.times[1].Sub(r.times[0]); gap != 5*time.Minute {
		t.Errorf("removal noticed after %v, want at once (5m)", gap)
	}
}

func TestDurationsTravelAsReadableStrings(t *testing.T) {
	b, err := json.Marshal(input(5*time.Second, 90*time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"RetrySchedule":["5s","1h30m0s"]`) || !strings.Contains(string(b), `"AttemptTimeout":"30s"`) {
		t.Errorf("input = %s", b)
	}
	var back DeliveryInput
	if err := json.Unmarshal(b, &back); err != nil || time.Duration(back.RetrySchedule[1]) != 90*time.Minute {
		t.Errorf("round trip = %+v, %v", back.RetrySchedule, err)
	}
	var legacy Duration
	if err := json.Unmarshal([]byte(`5000000000`), &legacy); err != nil || time.Duration(legacy) != 5*time.Second {
		t.Errorf("nanoseconds = %v, %v", legacy, err)
	}
}
