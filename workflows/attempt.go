package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
)

// Activity names as registered by the worker.
const (
	// AttemptActivity is activities.Activities.Attempt: a whole attempt in
	// one local activity, the way every delivery started now attempts.
	AttemptActivity = "Attempt"
	// BeginActivity, PostActivity and CompleteActivity are the three steps
	// of a split attempt: activities.Activities.Begin, Post and Complete.
	// Complete also records the outcome an inline attempt could not.
	BeginActivity    = "BeginAttempt"
	PostActivity     = "PostAttempt"
	CompleteActivity = "CompleteAttempt"
	// DeliverActivity is activities.Activities.Deliver, the one-step
	// attempt that workflows started before the split still replay.
	DeliverActivity = "Deliver"
)

// splitAttemptChange marks, in histories, workflows whose attempts run as
// three steps; older ones keep the one-step Deliver.
const splitAttemptChange = "split-attempt"

// attemptShape is how a workflow makes its attempts, fixed for its life so
// that its history replays.
type attemptShape int

const (
	// oneStep is Deliver: sign, POST and record with no intent, in
	// workflows started before attempts were split.
	oneStep attemptShape = iota
	// split is Begin, Post (a regular activity) and Complete.
	split
	// inline is Attempt: begin, POST and complete in one local activity.
	inline
)

// postRetry retries a POST step that could not load its delivery (PostgreSQL
// down) or whose worker died; Temporal retries it server-side, adding nothing
// to the history.
var postRetry = &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second}

// recordRetry retries the Begin and Complete steps until PostgreSQL answers:
// an outage delays an attempt, never loses it. These are local activities:
// retries within the workflow task timeout keep the task open with
// heartbeats (three history events every 8 s), longer ones wait on a timer.
// Capping at a minute keeps a day-long outage well inside a history's limit.
var recordRetry = &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute}

// newDelivery reads the workflow's attempt shape. Deliveries started now
// say so in their input (InlineAttempts), which costs the engine nothing;
// only older ones ask for the version marker GetVersion writes (a history
// event and a search attribute update on first run).
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
	return time.Duration(float64(total)*(1+JitterFraction)) + time.Hour
}

// attempt makes one attempt and folds its outcome into the state.
func (d *delivery) attempt(ctx workflow.Context, kind hookflow.AttemptKind, nextDelay *time.Duration) (activities.AttemptResult, error) {
	switch d.shape {
	case oneStep:
		return d.attemptInOneStep(ctx, kind, nextDelay)
	case split:
		return d.attemptInSteps(ctx, kind, nextDelay)
	}
	return d.attemptInline(ctx, kind, nextDelay)
}

// recordOptions are those of the steps that only read and write PostgreSQL:
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
// completed by the Complete step, retried, and never posted again. Its
// errors are all from before the POST, so retrying it is safe.
func (d *delivery) attemptInline(ctx workflow.Context, kind hookflow.AttemptKind, nextDelay *time.Duration) (activities.AttemptResult, error) {
	attemptCtx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: time.Duration(d.in.AttemptTimeout) + inlineMargin, ScheduleToCloseTimeout: d.in.horizon(),
		RetryPolicy: recordRetry, Summary: fmt.Sprintf("sign, POST and record attempt %d", d.attempts+1),
	})
	in := activities.InlineInput{DeliveryID: d.in.DeliveryID, Kind: kind, Key: d.nextKey(ctx), NextDelay: nextDelay}
	var out activities.InlineResult
	if err := workflow.ExecuteLocalActivity(attemptCtx, AttemptActivity, in).Get(ctx, &out); err != nil {
		return activities.AttemptResult{}, fmt.Errorf("attempt delivery %s: %w", d.in.DeliveryID, err)
	}
	switch {
	case out.Ended != nil:
		return d.endBefore(*out.Ended), nil
	case out.Unrecorded != nil:
		return d.complete(ctx, *out.Unrecorded)
	case out.Recorded != nil:
		d.fold(*out.Recorded)
		return *out.Recorded, nil
	}
	return activities.AttemptResult{}, fmt.Errorf("attempt delivery %s: the activity returned no result", d.in.DeliveryID)
}

// endBefore ends the delivery when no attempt is to be made.
func (d *delivery) endBefore(begun activities.BeginResult) activities.AttemptResult {
	d.settled, d.duplicate = true, begun.AlreadySettled
	d.result = DeliveryResult{Status: begun.Status, Attempts: d.attempts, Reason: begun.Reason}
	return activities.AttemptResult{Ended: true, Reason: begun.Reason}
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

// attemptInSteps is the split attempt of workflows started with it.
//
// Begin (a local activity) stores the attempt's intent, keyed by this run
// and attempt, so nothing is POSTed unless it is recorded first. Post is an
// activity of its own, so its outcome is saved in the history the moment it
// returns: a failure to record afterwards never sends the request again.
// Complete (a local activity, idempotent) records that outcome on the
// intent's row. Only a worker dying during the POST itself makes Temporal
// run Post again, when the first outcome is genuinely unknown.
func (d *delivery) attemptInSteps(ctx workflow.Context, kind hookflow.AttemptKind, nextDelay *time.Duration) (activities.AttemptResult, error) {
	var begun activities.BeginResult
	begin := activities.BeginInput{DeliveryID: d.in.DeliveryID, Kind: kind, Key: d.nextKey(ctx)}
	if err := workflow.ExecuteLocalActivity(d.recordOptions(ctx), BeginActivity, begin).Get(ctx, &begun); err != nil {
		return activities.AttemptResult{}, fmt.Errorf("begin attempt of %s: %w", d.in.DeliveryID, err)
	}
	if begun.Ended {
		return d.endBefore(begun), nil
	}

	postCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Duration(d.in.AttemptTimeout), ScheduleToCloseTimeout: d.in.horizon(), RetryPolicy: postRetry,
		Summary: fmt.Sprintf("POST attempt %d", d.attempts+1),
	})
	var outcome activities.PostOutcome
	post := activities.PostInput{DeliveryID: d.in.DeliveryID, AttemptID: begun.AttemptID}
	if err := workflow.ExecuteActivity(postCtx, PostActivity, post).Get(ctx, &outcome); err != nil {
		return activities.AttemptResult{}, fmt.Errorf("post attempt of %s: %w", d.in.DeliveryID, err)
	}
	return d.complete(ctx, activities.CompleteInput{DeliveryID: d.in.DeliveryID, AttemptID: begun.AttemptID, Kind: kind, NextDelay: nextDelay, Outcome: outcome})
}

// attemptInOneStep is the attempt of workflows started before the split.
func (d *delivery) attemptInOneStep(ctx workflow.Context, kind hookflow.AttemptKind, nextDelay *time.Duration) (activities.AttemptResult, error) {
	ctx = workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: time.Duration(d.in.AttemptTimeout),
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: time.Minute},
		Summary:             "sign, POST and record",
	})
	var res activities.AttemptResult
	in := activities.AttemptInput{DeliveryID: d.in.DeliveryID, Kind: kind, NextDelay: nextDelay}
	if err := workflow.ExecuteLocalActivity(ctx, DeliverActivity, in).Get(ctx, &res); err != nil {
		return res, fmt.Errorf("attempt delivery %s: %w", d.in.DeliveryID, err)
	}
	if res.Ended {
		d.settled = true
		d.result = DeliveryResult{Status: hookflow.StatusFailed, Attempts: d.attempts, Reason: res.Reason}
		return res, nil
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
