package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/retry"
)

// Activity names as registered by the worker. They are in histories: never
// change one.
const (
	// AttemptActivity is activities.Activities.Attempt: a whole attempt in
	// one local activity, the way every delivery started now attempts.
	AttemptActivity = "Attempt"
	// CompleteActivity is activities.Activities.Complete: it records the
	// outcome an inline attempt could not, and is the legacy split
	// attempt's last step.
	CompleteActivity = "CompleteAttempt"
	// BeginActivity and PostActivity are the legacy split attempt's first
	// steps: activities.Activities.Begin and Post (see legacy_attempt.go).
	BeginActivity = "BeginAttempt"
	PostActivity  = "PostAttempt"
	// DeliverActivity is activities.Activities.Deliver, the legacy one-step
	// attempt (see legacy_attempt.go).
	DeliverActivity = "Deliver"
)

// attemptShape is how a workflow makes its attempts, fixed for its life so
// that its history replays.
type attemptShape int

const (
	// oneStep is the legacy Deliver: sign, POST and record with no
	// intent, in workflows started before attempts were split.
	oneStep attemptShape = iota
	// split is the legacy Begin, Post (a regular activity) and Complete.
	split
	// inline is Attempt: intent, POST and record in one local activity,
	// the shape of every delivery started now.
	inline
)

// recordRetry retries the inline attempt (whose errors all come before its
// POST) and the Complete and Begin steps until PostgreSQL answers:
// an outage delays an attempt, never loses it. These are local activities:
// retries within the workflow task timeout keep the task open with
// heartbeats (three history events every 8 s), longer ones wait on a timer.
// Capping at a minute keeps a day-long outage well inside a history's limit.
var recordRetry = &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute}

// newDelivery reads the workflow's attempt shape. Deliveries started now
// say so in their input (InlineAttempts), which costs the engine nothing;
// only older ones ask for the version marker GetVersion writes (a history
// event and a search attribute update on first run): see legacy_attempt.go.
func newDelivery(ctx workflow.Context, in DeliveryInput) *delivery {
	if in.InlineAttempts {
		return &delivery{in: in, shape: inline}
	}
	if workflow.GetVersion(ctx, splitAttemptChange, workflow.DefaultVersion, 1) == 1 {
		return &delivery{in: in, shape: split}
	}
	return &delivery{in: in, shape: oneStep}
}

// horizon bounds how long one step of an attempt keeps retrying: the whole
// schedule at its longest jitter, plus an hour. Past it the run fails, and
// the recovery sweep starts a new one once PostgreSQL is back.
func (in DeliveryInput) horizon() time.Duration {
	var total time.Duration
	for _, d := range in.RetrySchedule {
		total += time.Duration(d)
	}
	return time.Duration(float64(total)*(1+retry.JitterFraction)) + time.Hour
}

// attempt makes one attempt in the workflow's shape and folds its outcome
// into the state.
func (d *delivery) attempt(ctx workflow.Context, kind hookflow.AttemptKind, nextDelay *time.Duration) (activities.AttemptResult, error) {
	switch d.shape {
	case oneStep:
		return d.attemptInOneStep(ctx, kind, nextDelay)
	case split:
		return d.attemptInSteps(ctx, kind, nextDelay)
	}
	return d.attemptInline(ctx, kind, nextDelay)
}

// recordOptions are those of the steps that only read and write PostgreSQL
// (Complete, and the legacy Begin):
// retried until it answers, within the delivery's horizon.
func (d *delivery) recordOptions(ctx workflow.Context) workflow.Context {
	return workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: d.in.horizon(), RetryPolicy: recordRetry,
	})
}

// nextKey names the next attempt's intent: this run and its sequence.
func (d *delivery) nextKey(ctx workflow.Context) string {
	d.seq++
	return fmt.Sprintf("%s/%d", workflow.GetInfo(ctx).WorkflowExecution.RunID, d.seq)
}

// inlineMargin is added to the attempt timeout (which already allows for
// loading and recording) because an inline attempt that times out after its
// POST posts again: a slow PostgreSQL should cost time, not a duplicate.
const inlineMargin = 30 * time.Second

// attemptInline makes the attempt in one local activity (see
// activities.Activities.Attempt); an outcome it could not record is
// completed by the Complete activity, retried, and never posted again. Its
// errors are all from before the POST, so retrying it is safe.
func (d *delivery) attemptInline(ctx workflow.Context, kind hookflow.AttemptKind, nextDelay *time.Duration) (activities.AttemptResult, error) {
	attemptCtx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: time.Duration(d.in.AttemptTimeout) + inlineMargin, ScheduleToCloseTimeout: d.in.horizon(),
		RetryPolicy: recordRetry, Summary: fmt.Sprintf("sign, POST and record attempt %d", d.attempts+1),
	})
	in := activities.AttemptInput{DeliveryID: d.in.DeliveryID, Kind: kind, Key: d.nextKey(ctx), NextDelay: nextDelay}
	if kind == hookflow.ScheduledAttempt {
		in.Slot, d.slot = d.slot, nil
	}
	var out activities.AttemptOutput
	if err := workflow.ExecuteLocalActivity(attemptCtx, AttemptActivity, in).Get(ctx, &out); err != nil {
		return activities.AttemptResult{}, fmt.Errorf("attempt delivery %s: %w", d.in.DeliveryID, err)
	}
	switch {
	case out.Ended != nil:
		return d.endBefore(*out.Ended), nil
	case out.Wait != nil: // only ever for a scheduled attempt (see pause)
		d.paused = out.Wait
		return activities.AttemptResult{}, nil
	case out.Unrecorded != nil:
		return d.complete(ctx, *out.Unrecorded)
	case out.Recorded != nil:
		d.fold(*out.Recorded)
		return *out.Recorded, nil
	}
	return activities.AttemptResult{}, fmt.Errorf("attempt delivery %s: the activity returned no result", d.in.DeliveryID)
}

// endBefore ends the delivery when no attempt is to be made.
func (d *delivery) endBefore(ended activities.Ending) activities.AttemptResult {
	d.settled, d.duplicate = true, ended.AlreadySettled
	d.result = DeliveryResult{Status: ended.Status, Attempts: d.attempts, Reason: ended.Reason}
	return activities.AttemptResult{Ended: true, Reason: ended.Reason}
}

// complete records a posted attempt's outcome, retried until PostgreSQL
// answers.
func (d *delivery) complete(ctx workflow.Context, in activities.CompleteInput) (activities.AttemptResult, error) {
	var res activities.AttemptResult
	if err := workflow.ExecuteLocalActivity(d.recordOptions(ctx), CompleteActivity, in).Get(ctx, &res); err != nil {
		return res, fmt.Errorf("complete attempt of %s: %w", d.in.DeliveryID, err)
	}
	d.fold(res)
	return res, nil
}

// fold takes a recorded attempt into the state.
func (d *delivery) fold(res activities.AttemptResult) {
	d.attempts = max(d.attempts, res.Number)
	d.last = &res
	if res.Success {
		d.settled = true
		d.result = DeliveryResult{Status: hookflow.StatusSucceeded, Attempts: d.attempts}
	}
}
