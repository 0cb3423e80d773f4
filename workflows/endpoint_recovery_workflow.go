package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Names of a bulk recover's activities (dispatch.Dispatcher's
// RecoverEndpointBatch and FailEndpointRecovery as registered).
const (
	RecoverEndpointBatchActivity = "RecoverEndpointBatch"
	FailEndpointRecoveryActivity = "FailEndpointRecovery"
)

// EndpointRecoveryInput names the recover a workflow runs; its window and
// filters are in its row, which the batches read.
type EndpointRecoveryInput struct {
	RecoveryID string
	WebhookID  string
}

// RecoveryBatchResult is what one batch did: Done once no delivery is left.
type RecoveryBatchResult struct {
	Handled int
	Done    bool
}

// batchesPerRun bounds the batches of one run before it continues as new,
// so the history of a recover of many thousand deliveries stays small.
const batchesPerRun = 100

// EndpointRecoveryWorkflow re-drives the deliveries of one bulk recover,
// one batch at a time: each batch reads the next deliveries after the
// recover's stored cursor, re-drives them a few at a time and moves the
// cursor with the counters, so a retried batch neither skips nor doubles.
// A recover that cannot go on is marked failed with the reason.
func EndpointRecoveryWorkflow(ctx workflow.Context, in EndpointRecoveryInput) error {
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		// A batch makes its attempts a few at a time, each bounded by the
		// delivery timeout; it heartbeats after each.
		StartToCloseTimeout: 30 * time.Minute,
		HeartbeatTimeout:    5 * time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: time.Minute, MaximumAttempts: 10},
		Summary:             "recover endpoint " + in.WebhookID,
	})
	for range batchesPerRun {
		var res RecoveryBatchResult
		err := workflow.ExecuteActivity(ctx, RecoverEndpointBatchActivity, in).Get(ctx, &res)
		if err != nil {
			reason := fmt.Sprintf("recover batch: %v", err)
			if ferr := workflow.ExecuteActivity(ctx, FailEndpointRecoveryActivity, in, reason).Get(ctx, nil); ferr != nil {
				return fmt.Errorf("mark recovery %s failed: %w", in.RecoveryID, ferr)
			}
			return err
		}
		if res.Done {
			return nil
		}
	}
	return workflow.NewContinueAsNewError(ctx, EndpointRecoveryWorkflow, in)
}
