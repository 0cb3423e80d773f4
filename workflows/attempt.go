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
	// BeginActivity, PostActivity and CompleteActivity are the three steps
	// of an attempt: activities.Activities.Begin, Post and Complete.
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

func newDelivery(ctx workflow.Context, in DeliveryInput) *delivery {
	v := workflow.GetVersion(ctx, splitAttemptChange, workflow.DefaultVersion, 1)
	return &delivery{in: in, split: v == 1}
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
//
// Begin (a local activity) stores the attempt's intent, keyed by this run
// and attempt, so nothing is POSTed unless it is recorded first. Post is an
// activity of its own, so its outcome is saved in the history the moment it
// returns: a failure to record afterwards never sends the request again.
// Complete (a local activity, idempotent) records that outcome on the
// intent's row. Only a worker dying during the POST itself makes Temporal
// run Post again, when the first outcome is genuinely unknown.
func (d *delivery) attempt(ctx workflow.Context, kind hookflow.AttemptKind, nextDelay *time.Duration) (activities.AttemptResult, error) {
	if !d.split {
		return d.attemptInOneStep(ctx, kind, nextDelay)
	}
	horizon := d.in.horizon()
	localCtx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
		StartToCloseTimeout: 30 * time.Second, ScheduleToCloseTimeout: horizon, RetryPolicy: recordRetry,
	})
	d.seq++
	key := fmt.Sprintf("%s/%d", workflow.GetInfo(ctx).WorkflowExecution.RunID, d.seq)
	var begun activities.BeginResult
	begin := activities.BeginInput{DeliveryID: d.in.DeliveryID, Kind: kind, Key: key}
	if err := workflow.ExecuteLocalActivity(localCtx, BeginActivity, begin).Get(ctx, &begun); err != nil {
		return activities.AttemptResult{}, fmt.Errorf("begin attempt of %s: %w", d.in.DeliveryID, err)
	}
	if begun.Ended {
		d.settled, d.duplicate = true, begun.AlreadySettled
		d.result = DeliveryResult{Status: begun.Status, Attempts: d.attempts, Reason: begun.Reason}
		return activities.AttemptResult{Ended: true, Reason: begun.Reason}, nil
	}

	postCtx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Duration(d.in.AttemptTimeout), ScheduleToCloseTimeout: horizon, RetryPolicy: postRetry,
		Summary: fmt.Sprintf("POST attempt %d", d.attempts+1),
	})
	var outcome activities.PostOutcome
	post := activities.PostInput{DeliveryID: d.in.DeliveryID, AttemptID: begun.AttemptID}
	if err := workflow.ExecuteActivity(postCtx, PostActivity, post).Get(ctx, &outcome); err != nil {
		return activities.AttemptResult{}, fmt.Errorf("post attempt of %s: %w", d.in.DeliveryID, err)
	}

	var res activities.AttemptResult
	complete := activities.CompleteInput{DeliveryID: d.in.DeliveryID, AttemptID: begun.AttemptID, Kind: kind, NextDelay: nextDelay, Outcome: outcome}
	if err := workflow.ExecuteLocalActivity(localCtx, CompleteActivity, complete).Get(ctx, &res); err != nil {
		return res, fmt.Errorf("complete attempt of %s: %w", d.in.DeliveryID, err)
	}
	d.fold(res)
	return res, nil
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
