package workflows

import (
	"fmt"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow"
)

// upsert keeps the operator-facing search attributes current.
func (d *delivery) upsert(ctx workflow.Context, status hookflow.DeliveryStatus) error {
	next := d.nextTry
	if d.settled {
		status, next = d.result.Status, nil
	}
	updates := []temporal.SearchAttributeUpdate{
		DeliveryStatusKey.ValueSet(string(status)),
		AttemptCountKey.ValueSet(int64(d.attempts)),
	}
	if next != nil {
		updates = append(updates, NextRetryAtKey.ValueSet(*next))
	} else {
		updates = append(updates, NextRetryAtKey.ValueUnset())
	}
	if err := workflow.UpsertTypedSearchAttributes(ctx, updates...); err != nil {
		return fmt.Errorf("upsert search attributes: %w", err)
	}
	return nil
}

// describe sets the workflow's current details, which the Temporal UI shows
// on the delivery's page: where it stands, in words.
func (d *delivery) describe(ctx workflow.Context) {
	workflow.SetCurrentDetails(ctx, d.details())
}

func (d *delivery) details() string {
	var b strings.Builder
	switch {
	case d.settled && d.result.Status == hookflow.StatusSucceeded:
		fmt.Fprintf(&b, "**Succeeded** after %d attempt(s).", d.attempts)
	case d.settled:
		fmt.Fprintf(&b, "**Failed** after %d attempt(s): %s.", d.attempts, d.result.Reason)
	case d.onHold && d.nextTry != nil:
		fmt.Fprintf(&b, "**Paused** by its endpoint (circuit open): %d attempt(s) so far; it asks again at %s.", d.attempts, d.nextTry.UTC().Format(time.RFC3339))
	case d.attempts == 0 && d.nextTry != nil:
		fmt.Fprintf(&b, "**Scheduled**: the first post is due at %s.", d.nextTry.UTC().Format(time.RFC3339))
	case d.attempts == 0:
		b.WriteString("**Pending**: the first attempt is under way.")
	case d.nextTry != nil:
		fmt.Fprintf(&b, "**Retrying**: %d attempt(s) so far; next retry at %s.", d.attempts, d.nextTry.UTC().Format(time.RFC3339))
	default:
		fmt.Fprintf(&b, "**Retrying**: %d attempt(s) so far.", d.attempts)
	}
	if l := d.last; l != nil {
		b.WriteString("\n\nLast attempt: #")
		fmt.Fprintf(&b, "%d, ", l.Number)
		if l.StatusCode != 0 {
			fmt.Fprintf(&b, "HTTP %d", l.StatusCode)
		} else {
			b.WriteString("no response")
		}
		if l.Error != "" {
			fmt.Fprintf(&b, " (%s)", l.Error)
		}
		fmt.Fprintf(&b, " in %d ms.", l.DurationMs)
	}
	fmt.Fprintf(&b, "\n\nEvent `%s` (%s) to webhook `%s`.", d.in.EventID, d.in.EventType, d.in.WebhookID)
	return b.String()
}
