// Package dispatch turns published events into delivery workflows and
// support's retries into attempts. It is the one place that starts or
// updates delivery workflows, so their options live here.
package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"golang.org/x/sync/errgroup"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/eventschema"
	"github.com/hookflow/hookflow/workflows"
)

// Options configure dispatching.
type Options struct {
	TaskQueue      string
	RetrySchedule  []time.Duration
	AttemptTimeout time.Duration
	// EagerStart hands new workflows straight to this process's worker,
	// saving a round trip; only when a worker shares the client (serve).
	EagerStart bool
	// StartTimeout bounds starting one workflow, so that a publish answers
	// 503 instead of hanging while Temporal is unreachable. Default 10s.
	StartTimeout time.Duration
}

// Dispatcher publishes events and retries deliveries.
type Dispatcher struct {
	stores   Stores
	temporal client.Client
	opts     Options
	logger   *slog.Logger
	schemas  *eventschema.Cache // compiled event schemas, by catalog event and revision
}

// schemaCacheSize bounds the compiled event schemas a Dispatcher keeps: one
// per catalog event (version) that has a schema and is published.
const schemaCacheSize = 512

// New builds a Dispatcher.
func New(stores Stores, c client.Client, opts Options, logger *slog.Logger) *Dispatcher {
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 10 * time.Second
	}
	return &Dispatcher{stores: stores, temporal: c, opts: opts, logger: logger, schemas: eventschema.NewCache(schemaCacheSize)}
}

// ErrUnavailable is the 503 of a publish that could not be made durable.
var ErrUnavailable = &hookflow.Error{Code: hookflow.EUNAVAILABLE, Message: "Event could not be accepted now; retry with the same id"}

// Published is the answer to a publish.
type Published struct {
	EventID    string
	Deliveries []hookflow.Delivery
	Created    bool
}

// WorkflowID is the id of a delivery's workflow.
func WorkflowID(deliveryID string) string { return "delivery-" + deliveryID }

// Publish stores the event and its deliveries, then starts one workflow per
// delivery. It returns only once every workflow is durably started; the same
// id again starts nothing new (workflow ids are deterministic).
func (d *Dispatcher) Publish(ctx context.Context, ev *hookflow.Event) (Published, error) {
	if ev.ID == "" {
		ev.ID = uuid.NewString()
	}
	category, err := d.stores.Catalog.EventCategory(ctx, ev.EventType)
	if err != nil {
		if hookflow.ErrorCodeOf(err) == hookflow.EINVALID {
			return Published{}, err
		}
		return Published{}, d.unavailable(ctx, "look up event type", err)
	}
	schema, err := d.stores.Catalog.LiveEventSchemaRef(ctx, ev.EventType)
	if err != nil {
		return Published{}, d.unavailable(ctx, "look up event schema", err)
	}
	if err := d.checkData(ctx, schema, ev.Data); err != nil {
		return Published{}, err
	}
	deliveries, created, err := d.stores.Events.PublishEvent(ctx, ev, category)
	if err != nil {
		if hookflow.ErrorCodeOf(err) == hookflow.EINVALID {
			// A refusal, such as a fan-out past its quota: nothing was
			// stored, so nothing is started or undone.
			return Published{}, err
		}
		return Published{}, d.unavailable(ctx, "store event", err)
	}
	started, err := d.startAll(ctx, deliveries)
	if err != nil {
		if created && started == 0 {
			// Nothing runs yet: forget the event so a retry starts clean.
			d.forget(ctx, ev.ID)
		}
		return Published{}, d.unavailable(ctx, "start deliveries", err)
	}
	return Published{EventID: ev.ID, Deliveries: deliveries, Created: created}, nil
}

// PostActivity stores a post added through the ECG API and starts its
// delivery. When the start fails nothing stays behind (the post's event is
// forgotten, as a failed publish's) and the answer is ErrUnavailable.
func (d *Dispatcher) PostActivity(ctx context.Context, post hookflow.ActivityPost) (*hookflow.Delivery, error) {
	schema, err := d.stores.Catalog.EventSchemaRef(ctx, post.Event.ID)
	if err != nil {
		return nil, d.unavailable(ctx, "look up event schema", err)
	}
	if err := d.checkData(ctx, schema, post.Data); err != nil {
		return nil, err
	}
	del, err := d.stores.Activity.AddActivityPost(ctx, post)
	if err != nil {
		return nil, err
	}
	if err := d.start(ctx, *del); err != nil {
		d.logger.ErrorContext(ctx, "start added post", "delivery_id", del.ID, "error", err)
		d.forget(ctx, del.EventID)
		return nil, ErrUnavailable
	}
	return del, nil
}

// checkData validates an event's data against its catalog event's schema,
// nil meaning none: a refusal is a 400 listing the failures. Compiled
// schemas are cached by event and revision, so a changed schema applies at
// once and an unchanged one is compiled once per process.
func (d *Dispatcher) checkData(ctx context.Context, ref *hookflow.EventSchemaRef, data json.RawMessage) error {
	if ref == nil {
		return nil
	}
	schema := d.schemas.Get(ref.EventID, ref.Revision)
	if schema == nil {
		doc, revision, err := d.stores.Catalog.EventSchemaDocument(ctx, ref.EventID)
		if errors.Is(err, hookflow.ErrEventSchemaNotFound) {
			return nil // deleted since the look-up
		}
		if err != nil {
			return d.unavailable(ctx, "load event schema", err)
		}
		if schema, err = eventschema.Compile(doc); err != nil {
			// Schemas are compiled before they are stored: this one should
			// not be there.
			return d.unavailable(ctx, "compile event schema "+ref.EventID, err)
		}
		d.schemas.Put(ref.EventID, revision, schema)
	}
	failures, err := schema.Check(data, "data")
	if err != nil {
		return fmt.Errorf("check data against schema of %s: %w", ref.EventID, err)
	}
	if len(failures) > 0 {
		return hookflow.Invalid(failures...)
	}
	return nil
}

// forget deletes an event none of whose workflows started, with its
// deliveries, even when ctx has ended: the undo of a failed publish or post.
func (d *Dispatcher) forget(ctx context.Context, eventID string) {
	if err := d.stores.Events.DeleteEvent(context.WithoutCancel(ctx), eventID); err != nil {
		d.logger.ErrorContext(ctx, "undo event whose deliveries did not start", "event_id", eventID, "error", err)
	}
}

func (d *Dispatcher) unavailable(ctx context.Context, what string, err error) error {
	d.logger.ErrorContext(ctx, "publish failed", "step", what, "error", err)
	return ErrUnavailable
}

// startAll starts the deliveries' workflows, a few at a time, and counts
// those that started.
func (d *Dispatcher) startAll(ctx context.Context, deliveries []hookflow.Delivery) (int, error) {
	return forEach(ctx, deliveries, func(ctx context.Context, del hookflow.Delivery) (bool, error) {
		return true, d.start(ctx, del)
	})
}

// forEach runs fn on the deliveries, a few at a time, stopping at the first
// error, and counts those for which it reported true.
func forEach(ctx context.Context, deliveries []hookflow.Delivery, fn func(context.Context, hookflow.Delivery) (bool, error)) (int, error) {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	started := make([]bool, len(deliveries))
	for i := range deliveries {
		g.Go(func() error {
			ok, err := fn(gctx, deliveries[i])
			if err != nil {
				return err
			}
			started[i] = ok
			return nil
		})
	}
	err := g.Wait()
	n := 0
	for _, s := range started {
		if s {
			n++
		}
	}
	return n, err
}

func (d *Dispatcher) input(del hookflow.Delivery) workflows.DeliveryInput {
	in := workflows.DeliveryInput{
		DeliveryID: del.ID, EventID: del.EventID, WebhookID: del.WebhookID, EventType: del.EventType,
		FacilityID: del.FacilityID, ClientID: del.ClientID, OrganizationID: del.OrganizationID,
		RetrySchedule: workflows.Durations(d.opts.RetrySchedule), AttemptTimeout: workflows.Duration(d.opts.AttemptTimeout),
		// A delivery the sweep restarts continues its schedule.
		RetriesDone:    del.AttemptCount,
		InlineAttempts: true,
	}
	if del.AttemptCount == 0 && del.NextRetryAt != nil {
		// A post scheduled for later waits on the workflow's timer.
		in.NotBefore = del.NextRetryAt
	}
	return in
}

// maxWorkflowTaskTimeout is the longest workflow task timeout Temporal
// accepts.
const maxWorkflowTaskTimeout = 2 * time.Minute

// workflowTaskTimeout lets an attempt's local activity run its course in
// one workflow task. The SDK heartbeats a task whose local activity runs
// past 80% of its timeout (10 s by default): a workflow task and three
// history events more for every POST a receiver holds, which is the load a
// hanging receiver would put on everyone else. The cost: a worker that dies
// holding a task leaves it this long (instead of 10 s) to another worker.
func (d *Dispatcher) workflowTaskTimeout() time.Duration {
	return min(d.opts.AttemptTimeout, maxWorkflowTaskTimeout)
}

// A publish retried after a partial failure finds the same workflow ids: a
// running or finished delivery is not started again.
var publishReuse = enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE

func (d *Dispatcher) start(ctx context.Context, del hookflow.Delivery) error {
	return d.startWith(ctx, del, publishReuse)
}

func (d *Dispatcher) startWith(ctx context.Context, del hookflow.Delivery, reuse enumspb.WorkflowIdReusePolicy) error {
	ctx, cancel := context.WithTimeout(ctx, d.opts.StartTimeout)
	defer cancel()
	in := d.input(del)
	_, err := d.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       WorkflowID(del.ID),
		TaskQueue:                d.opts.TaskQueue,
		WorkflowIDReusePolicy:    reuse,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		// The sweep tells a completed run (refused) from a running one; a
		// publish takes either as started.
		WorkflowExecutionErrorWhenAlreadyStarted: reuse == sweepReuse,
		EnableEagerStart:                         d.opts.EagerStart,
		WorkflowTaskTimeout:                      d.workflowTaskTimeout(),
		TypedSearchAttributes:                    workflows.StartAttributes(in),
		StaticSummary:                            del.EventType + " -> " + del.URL,
		StaticDetails:                            fmt.Sprintf("event %s to webhook %s (client %s)", del.EventID, del.WebhookID, del.ClientID),
	}, workflows.DeliveryWorkflow, in)
	if err != nil {
		return fmt.Errorf("start delivery %s: %w", del.ID, err)
	}
	return nil
}

// ErrRetryConflict answers a retry while an attempt of the delivery runs.
var ErrRetryConflict = &hookflow.Error{Code: hookflow.ECONFLICT, Message: "An attempt of this delivery is already in progress"}

// RetryNow makes one manual attempt of a delivery and returns it. During a
// backoff the running workflow attempts at once (retry-now update); after
// the workflow has ended, a new workflow makes the attempt. idempotencyKey
// makes a repeated request return the same attempt.
func (d *Dispatcher) RetryNow(ctx context.Context, del *hookflow.Delivery, idempotencyKey string) (*hookflow.Attempt, error) {
	if del.AttemptCount >= hookflow.MaxAttemptsPerDelivery {
		return nil, hookflow.ErrTooManyAttempts
	}
	if idempotencyKey == "" {
		idempotencyKey = uuid.NewString()
	}
	res, err := d.updateRunning(ctx, del, idempotencyKey)
	var notFound *serviceerror.NotFound
	if errors.As(err, &notFound) {
		res, err = d.retryEnded(ctx, del, idempotencyKey)
	}
	if err != nil {
		return nil, err
	}
	if res.AttemptID == "" {
		return nil, hookflow.Errorf(hookflow.ECONFLICT, "Delivery can no longer be attempted: %s", res.Reason)
	}
	return d.stores.Deliveries.Attempt(ctx, res.AttemptID)
}

func (d *Dispatcher) updateRunning(ctx context.Context, del *hookflow.Delivery, key string) (activities.AttemptResult, error) {
	var res activities.AttemptResult
	handle, err := d.temporal.UpdateWorkflow(ctx, client.UpdateWorkflowOptions{
		WorkflowID:   WorkflowID(del.ID),
		UpdateName:   workflows.RetryNowUpdate,
		UpdateID:     key,
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		var notFound *serviceerror.NotFound
		if errors.As(err, &notFound) {
			return res, err
		}
		if isRejection(err) {
			return res, ErrRetryConflict
		}
		return res, fmt.Errorf("retry-now %s: %w", del.ID, err)
	}
	if err := handle.Get(ctx, &res); err != nil {
		if isRejection(err) {
			return res, ErrRetryConflict
		}
		return res, fmt.Errorf("retry-now %s: %w", del.ID, err)
	}
	return res, nil
}

// isRejection reports the workflow's validator refusing the update.
func isRejection(err error) bool {
	var appErr *temporal.ApplicationError
	return errors.As(err, &appErr) && appErr.Type() == workflows.NotWaitingErrorType
}

func (d *Dispatcher) retryEnded(ctx context.Context, del *hookflow.Delivery, key string) (activities.AttemptResult, error) {
	var res activities.AttemptResult
	in := d.input(*del)
	run, err := d.temporal.ExecuteWorkflow(ctx, client.StartWorkflowOptions{
		ID:                       WorkflowID(del.ID) + "-retry-" + key,
		TaskQueue:                d.opts.TaskQueue,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		EnableEagerStart:         d.opts.EagerStart,
		WorkflowTaskTimeout:      d.workflowTaskTimeout(),
		TypedSearchAttributes:    workflows.StartAttributes(in),
		StaticSummary:            "manual retry: " + del.EventType + " -> " + del.URL,
	}, workflows.ManualRetryWorkflow, in)
	if err != nil {
		return res, fmt.Errorf("start manual retry of %s: %w", del.ID, err)
	}
	if err := run.Get(ctx, &res); err != nil {
		return res, fmt.Errorf("manual retry of %s: %w", del.ID, err)
	}
	return res, nil
}

// Settle tells a delivery's workflow that a receiver reported its success
// later: its pending retries end. A workflow that already ended has
// nothing to stop.
func (d *Dispatcher) Settle(ctx context.Context, deliveryID string) error {
	err := d.temporal.SignalWorkflow(ctx, WorkflowID(deliveryID), "", workflows.SettledSignal, nil)
	var notFound *serviceerror.NotFound
	if err != nil && !errors.As(err, &notFound) {
		return fmt.Errorf("signal delivery %s settled: %w", deliveryID, err)
	}
	return nil
}

// WebhookRemoved ends the pending retries of a deleted webhook at once
// instead of at their next scheduled attempt.
func (d *Dispatcher) WebhookRemoved(ctx context.Context, webhookID string) error {
	ids, err := d.stores.Deliveries.UnsettledDeliveries(ctx, webhookID)
	if err != nil {
		return err
	}
	var errs []error
	for _, id := range ids {
		err := d.temporal.SignalWorkflow(ctx, WorkflowID(id), "", workflows.WebhookRemovedSignal, nil)
		var notFound *serviceerror.NotFound
		if err != nil && !errors.As(err, &notFound) {
			errs = append(errs, fmt.Errorf("signal delivery %s: %w", id, err))
		}
	}
	return errors.Join(errs...)
}
