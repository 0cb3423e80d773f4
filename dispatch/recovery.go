package dispatch

import (
	"context"
	"errors"
	"fmt"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/workflows"
)

// sweepPage is how many deliveries the sweep reads and starts at a time.
const sweepPage = 200

// The sweep starts a new run only where the last one failed, timed out or
// was terminated; a running delivery is left as it is (USE_EXISTING) and one
// that completed is refused. A delivery that failed for its own reason is
// `failed` in PostgreSQL, so the sweep never reads it.
var sweepReuse = enumspb.WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE_FAILED_ONLY

// RecoverStranded is the recovery sweep's activity. It reads, page by page,
// the deliveries that are not settled and were due before the cutoff (a
// live workflow makes their attempt on time), at most req.Limit of them,
// and makes sure each has a running workflow: one that never started or
// whose run died starts again, continuing its schedule. It returns how many
// it checked. Then it publishes the endpoint state changes left
// unpublished since before req.ChangesBefore (publishStaleChanges).
func (d *Dispatcher) RecoverStranded(ctx context.Context, req workflows.RecoverRequest) (int, error) {
	var cursor hookflow.DueCursor
	checked, restarted := 0, 0
	for checked < req.Limit {
		page, err := d.stores.Deliveries.StrandedDeliveries(ctx, req.DueBefore, cursor, min(sweepPage, req.Limit-checked))
		if err != nil {
			return checked, err
		}
		n, err := d.ensureRunning(ctx, page)
		restarted += n
		checked += len(page)
		if err != nil {
			return checked, err
		}
		if len(page) < sweepPage {
			break
		}
		cursor = cursor.Next(page[len(page)-1])
	}
	if checked > 0 {
		d.logger.InfoContext(ctx, "overdue deliveries checked", "checked", checked, "running_or_restarted", restarted)
	}
	d.publishStaleChanges(ctx, req.ChangesBefore)
	return checked, nil
}

// ensureRunning starts the deliveries' workflows under the sweep's policy and
// counts those that run now.
func (d *Dispatcher) ensureRunning(ctx context.Context, deliveries []hookflow.Delivery) (int, error) {
	return forEach(ctx, deliveries, func(ctx context.Context, del hookflow.Delivery) (bool, error) {
		err := d.startWith(ctx, del, sweepReuse)
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		switch {
		case err == nil:
			return true, nil
		case errors.As(err, &started):
			return false, nil // completed: its last attempt settles it in PostgreSQL
		default:
			return false, fmt.Errorf("recover delivery %s: %w", del.ID, err)
		}
	})
}
