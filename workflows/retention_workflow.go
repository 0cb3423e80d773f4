package workflows

import (
	"fmt"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/activities"
)

// PurgeActivity is activities.Retention.Purge as registered.
const PurgeActivity = "Purge"

// RetentionInput configures a purge run; the schedule passes it.
type RetentionInput struct {
	Retention time.Duration
	BatchSize int
}

// RetentionWorkflow deletes delivery logs older than the retention period,
// batch by batch, each activity run resuming from its last heartbeat.
func RetentionWorkflow(ctx workflow.Context, in RetentionInput) (activities.PurgeProgress, error) {
	if in.BatchSize <= 0 {
		in.BatchSize = 1000
	}
	ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Minute,
		HeartbeatTimeout:    time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{InitialInterval: 5 * time.Second, MaximumInterval: 5 * time.Minute},
		Summary:             "purge expired delivery logs",
	})
	// One cutoff for the whole run, so that resumed batches agree.
	cutoff := workflow.Now(ctx).Add(-in.Retention)
	var total activities.PurgeProgress
	for {
		var p activities.PurgeProgress
		err := workflow.ExecuteActivity(ctx, PurgeActivity, activities.PurgeInput{Cutoff: cutoff, BatchSize: in.BatchSize, Budget: 2 * time.Minute}).Get(ctx, &p)
		if err != nil {
			return total, fmt.Errorf("purge before %s: %w", cutoff.Format(time.RFC3339), err)
		}
		total.Deliveries += p.Deliveries
		total.Attempts += p.Attempts
		total.Events += p.Events
		if p.Done {
			total.Done = true
			return total, nil
		}
	}
}
