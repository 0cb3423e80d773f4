package dispatch

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/workflows"
)

// A bulk recover re-drives an endpoint's deliveries of a window in the
// background: EndpointRecoveryWorkflow pages through them with
// RecoverEndpointBatch, which gives each failed delivery one manual attempt
// and wakes each retrying one, both through RetryNow.

// RecoveryStore keeps bulk recovers and their progress.
type RecoveryStore interface {
	CreateRecovery(ctx context.Context, req hookflow.RecoveryRequest) (*hookflow.Recovery, bool, error)
	DeleteRecovery(ctx context.Context, id string) error
	RecoveryBatch(ctx context.Context, id string, limit int) (*hookflow.Recovery, []hookflow.Delivery, error)
	AdvanceRecovery(ctx context.Context, id string, from, to *hookflow.RecoveryCursor, p hookflow.RecoveryProgress, done bool) error
	FailRecovery(ctx context.Context, id, reason string) error
}

const (
	// recoveryBatch is how many deliveries one batch activity handles.
	recoveryBatch = 20
	// recoveryConcurrency bounds the attempts a recover makes at once, so a
	// recover of thousands of deliveries does not flood the receiver that
	// just came back.
	recoveryConcurrency = 4
)

// RecoveryWorkflowID is the id of a recover's workflow: one per webhook and
// idempotency key (or recover id without one), so the same key again finds
// the same workflow.
func RecoveryWorkflowID(webhookID, keyOrID string) string {
	return "endpoint-recovery-" + webhookID + "-" + keyOrID
}

// StartRecovery stores a recover, counting the deliveries it matches, and
// starts its workflow. The same idempotency key again returns the recover
// it started (created false) and starts nothing new.
func (d *Dispatcher) StartRecovery(ctx context.Context, req hookflow.RecoveryRequest) (*hookflow.Recovery, bool, error) {
	rec, created, err := d.stores.Recoveries.CreateRecovery(ctx, req)
	if err != nil {
		return nil, false, err
	}
	if !created && rec.State != hookflow.RecoveryRunning {
		return rec, false, nil
	}
	// A running recover found by its key is started again: harmless when
	// its workflow runs (same id), and it heals a start that failed before.
	if err := d.startRecovery(ctx, rec); err != nil {
		if created {
			if derr := d.stores.Recoveries.DeleteRecovery(context.WithoutCancel(ctx), rec.ID); derr != nil {
				d.logger.ErrorContext(ctx, "undo recovery whose workflow did not start", "recovery_id", rec.ID, "error", derr)
			}
		}
		d.logger.ErrorContext(ctx, "start recovery", "recovery_id", rec.ID, "error", err)
		return nil, false, ErrRecoveryUnavailable
	}
	return rec, created, nil
}

// ErrRecoveryUnavailable is the 503 of a recover whose workflow could not start.
var ErrRecoveryUnavailable = &hookflow.Error{Code: hookflow.EUNAVAILABLE, Message: "Recovery could not be started now; retry with the same Idempotency-Key"}

func (d *Dispatcher) startRecovery(ctx context.Context, rec *hookflow.Recovery) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.StartTimeout)
	defer cancel()
	key := rec.IdempotencyKey
	if key == "" {
		key = rec.ID
	}
	_, err := d.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       RecoveryWorkflowID(rec.WebhookID, key),
		TaskQueue:                d.opts.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		TypedSearchAttributes:    temporal.NewSearchAttributes(workflows.WebhookIDKey.ValueSet(rec.WebhookID)),
		StaticSummary:            fmt.Sprintf("recover endpoint %s (%d deliveries)", rec.WebhookID, rec.Found),
		StaticDetails: fmt.Sprintf("recovery %s of webhook %s: deliveries created in [%s, %s)",
			rec.ID, rec.WebhookID, rec.Since.UTC().Format(time.RFC3339), rec.Until.UTC().Format(time.RFC3339)),
	}, workflows.EndpointRecoveryWorkflow, workflows.EndpointRecoveryInput{RecoveryID: rec.ID, WebhookID: rec.WebhookID})
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil // its run ended: the recover is done or failed already
	}
	if err != nil {
		return fmt.Errorf("start recovery %s: %w", rec.ID, err)
	}
	return nil
}

// RecoverEndpointBatch is the batch activity of a recover: it re-drives
// the next deliveries after the recover's cursor, a few at a time, and
// stores the progress with the moved cursor. The attempts are keyed by
// recover and delivery, so a batch run again makes none twice.
func (d *Dispatcher) RecoverEndpointBatch(ctx context.Context, in workflows.EndpointRecoveryInput) (workflows.RecoveryBatchResult, error) {
	rec, page, err := d.stores.Recoveries.RecoveryBatch(ctx, in.RecoveryID, recoveryBatch)
	if err != nil {
		return workflows.RecoveryBatchResult{}, err
	}
	if rec.State != hookflow.RecoveryRunning {
		return workflows.RecoveryBatchResult{Done: true}, nil
	}
	var mu sync.Mutex
	var progress hookflow.RecoveryProgress
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(recoveryConcurrency)
	for _, del := range page {
		g.Go(func() error {
			counter, err := d.redrive(gctx, rec.ID, del)
			if err != nil {
				return err
			}
			mu.Lock()
			*counter(&progress)++
			mu.Unlock()
			if activity.IsActivity(ctx) {
				activity.RecordHeartbeat(ctx)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return workflows.RecoveryBatchResult{}, err
	}
	done := len(page) < recoveryBatch
	var to *hookflow.RecoveryCursor
	if len(page) > 0 {
		last := page[len(page)-1]
		to = &hookflow.RecoveryCursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	if err := d.stores.Recoveries.AdvanceRecovery(ctx, rec.ID, rec.Cursor, to, progress, done); err != nil {
		return workflows.RecoveryBatchResult{}, err
	}
	return workflows.RecoveryBatchResult{Handled: len(page), Done: done}, nil
}

// redrive makes one delivery's attempt and says which counter it adds to.
// Only the end of the activity itself is an error: a delivery that fails
// to be re-driven is counted and the recover goes on.
func (d *Dispatcher) redrive(ctx context.Context, recoveryID string, del hookflow.Delivery) (func(*hookflow.RecoveryProgress) *int, error) {
	skipped := func(p *hookflow.RecoveryProgress) *int { return &p.Skipped }
	if del.AttemptCount >= hookflow.MaxAttemptsPerDelivery {
		return skipped, nil
	}
	_, err := d.RetryNow(ctx, &del, "recovery-"+recoveryID+"-"+del.ID)
	switch {
	case err == nil && del.Status == hookflow.StatusFailed:
		return func(p *hookflow.RecoveryProgress) *int { return &p.Redriven }, nil
	case err == nil:
		return func(p *hookflow.RecoveryProgress) *int { return &p.Woken }, nil
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case hookflow.ErrorCodeOf(err) == hookflow.ECONFLICT, errors.Is(err, hookflow.ErrTooManyAttempts):
		// An attempt is under way, or the delivery ended meanwhile.
		return skipped, nil
	}
	d.logger.WarnContext(ctx, "recover delivery", "recovery_id", recoveryID, "delivery_id", del.ID, "error", err)
	return func(p *hookflow.RecoveryProgress) *int { return &p.Errors }, nil
}

// FailEndpointRecovery marks a recover failed with the reason: its
// workflow could not go on.
func (d *Dispatcher) FailEndpointRecovery(ctx context.Context, in workflows.EndpointRecoveryInput, reason string) error {
	return d.stores.Recoveries.FailRecovery(ctx, in.RecoveryID, reason)
}
