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
	// StrandedAfter is how old a delivery with no attempt and no workflow
	// must be before the sweep starts it, so that publishes in flight are
	// left alone.
	StrandedAfter time.Duration
	Limit         int
}

// RecoverRequest is what the sweep's activity gets.
type RecoverRequest struct {
	CreatedBefore time.Time
	Limit         int
}

// RecoveryWorkflow starts the workflows of deliveries that were stored but
// never started (a publish that failed half-way and was not retried).
// Starting is idempotent, so a delivery already running is left as it is.
func RecoveryWorkflow(ctx workflow.Context, in RecoveryInput) (int, error) {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumAttempts: 5},
		Summary:             "start stranded deliveries",
	})
	var started int
	req := RecoverRequest{CreatedBefore: workflow.Now(ctx).Add(-in.StrandedAfter), Limit: in.Limit}
	if err := workflow.ExecuteActivity(ctx, RecoverActivity, req).Get(ctx, &started); err != nil {
		return 0, fmt.Errorf("recover stranded deliveries: %w", err)
	}
	return started, nil
}
