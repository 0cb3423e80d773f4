package workflows

import (
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
)

// ManualRetryWorkflow makes one manual attempt of a delivery whose workflow
// has ended, linked to its last attempt. It carries the delivery's search
// attributes, so it is found beside the original (same EventId, WebhookId).
func ManualRetryWorkflow(ctx workflow.Context, in DeliveryInput) (activities.AttemptResult, error) {
	d := newDelivery(ctx, in)
	res, err := d.attempt(ctx, hookflow.ManualAttempt, nil)
	if err != nil {
		return res, err
	}
	status := hookflow.StatusFailed
	if res.Success {
		status = hookflow.StatusSucceeded
	}
	if !res.Ended {
		d.settled, d.result = true, DeliveryResult{Status: status, Attempts: d.attempts, Reason: res.Error}
	}
	d.describe(ctx)
	return res, d.upsert(ctx, d.result.Status)
}
