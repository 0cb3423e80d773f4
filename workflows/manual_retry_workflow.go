package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
)

// ManualRetryWorkflow makes one manual attempt of a delivery whose workflow
// has ended, linked to its last attempt.
func ManualRetryWorkflow(ctx workflow.Context, in DeliveryInput) (activities.AttemptResult, error) {
	d := &delivery{in: in}
	ctx = withAttemptOptions(ctx, in)
	res, err := d.attempt(ctx, activities.AttemptInput{DeliveryID: in.DeliveryID, Kind: hookflow.ManualAttempt})
	if err != nil {
		return res, err
	}
	status := hookflow.StatusFailed
	if res.Success {
		status = hookflow.StatusSucceeded
	}
	d.settled, d.result = true, DeliveryResult{Status: status, Attempts: d.attempts}
	return res, d.upsert(ctx, status)
}
