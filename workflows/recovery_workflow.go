package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// RecoverActivity is dispatch.Dispatcher.RecoverStranded as registered.
const RecoverActivity = "RecoverStranded"

// RecoveryInput configures one sweep.
type RecoveryInput struct {
	// StrandedAfter is how long past its due time (creation, or next retry)
	// an unsettled delivery must be before the sweep looks at it, so that
	// publishes and attempts in flight are left alone.
	StrandedAfter time.Duration
	// Limit bounds the deliveries one sweep checks.
	Limit int
}

// RecoverRequest is what the sweep's activity gets.
type RecoverRequest struct {
	DueBefore time.Time
	Limit     int
	// ChangesBefore: endpoint state changes unpublished since before it
	// are published (their publish was lost). Zero, from a sweep started
	// before it existed, lets the activity choose.
	ChangesBefore time.Time
}

// UnpublishedChangesAfter is how long an endpoint state change stays
// unpublished before the sweep takes its publish as lost.
const UnpublishedChangesAfter = 30 * time.Second

// RecoveryWorkflow makes sure every unsettled delivery that is overdue has a
// running workflow: one whose publish failed half-way and was never retried,
// or whose run failed (its steps gave up past the retry horizon, or it was
// terminated). Starting is idempotent, so a delivery already running is left
// as it is.
func RecoveryWorkflow(ctx workflow.Context, in RecoveryInput) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 5},
		Summary:             "restart overdue deliveries",
	})
	var started int
	// The activity's input is not compared on replay: a new field is safe.
	now := workflow.Now(ctx)
	req := RecoverRequest{DueBefore: now.Add(-in.StrandedAfter), Limit: in.Limit, ChangesBefore: now.Add(-UnpublishedChangesAfter)}
	if err := workflow.ExecuteActivity(ctx, RecoverActivity, req).Get(ctx, &started); err != nil {
		return 0, fmt.Errorf("recover stranded deliveries: %w", err)
	}
	return started, nil
}
