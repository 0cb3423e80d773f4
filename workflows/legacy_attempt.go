package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
)

// Legacy: the two older shapes of an attempt, kept so that the histories of
// delivery workflows started with them replay (testdata/*.json and
// replay_test.go prove it).
//
//   - oneStep (Deliver, one local activity with no intent): workflows started
//     before attempts were split, whose histories have no split-attempt
//     version marker.
//   - split (Begin, Post as a regular activity, Complete): workflows started
//     after that but before the inline attempt, whose histories have the
//     marker at version 1 and whose input has no InlineAttempts.
//
// Both can be deleted, with the GetVersion call in newDelivery, the oneStep
// ending in end, and the activities' legacy_*.go, once no workflow started
// before the release that introduced the inline attempt (InlineAttempts,
// commit 7e133e2) is open, i.e. after the longest retry horizon has passed:
// DeliveryInput.horizon, the retry schedule (config.RetrySchedule,
// HOOKFLOW_RETRY_SCHEDULE) at its longest jitter plus an hour, about 34 h
// with the default schedule.

// splitAttemptChange marks, in histories, workflows whose attempts run as
// three steps; older ones keep the one-step Deliver. Its id is in
// histories: never change it.
const splitAttemptChange = "split-attempt"

// postRetry retries a POST step that could not load its delivery (PostgreSQL
// down) or whose worker died; Temporal retries it server-side, adding nothing
// to the history.
var postRetry = &temporal.RetryPolicy{InitialInterval: time.Second, BackoffCoefficient: 2, MaximumInterval: 10 * time.Second}

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
	in := activities.DeliverInput{DeliveryID: d.in.DeliveryID, Kind: kind, NextDelay: nextDelay}
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
