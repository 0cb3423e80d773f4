package dispatch

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"go.temporal.io/api/serviceerror"
	"golang.org/x/sync/errgroup"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/workflows"
)

// Endpoint state changes are written by the engine in the transaction that
// changes an endpoint's state, as an outbox (endpoint_state_changes); the
// engine then calls EndpointChanged, and the recovery sweep calls it for
// any change whose publish was lost. Publishing is idempotent (the event id
// comes from the change's), so two runs at once store one event and start
// each delivery once; only a signal may be sent twice, which a delivery
// takes as it took the first.

// defaultResumeRate is how many paused deliveries per second a recovered
// endpoint without a rate limit gets back, so a receiver that just came
// back is not hit by its whole backlog at once.
const defaultResumeRate = 20

// ErrNoEndpointChanges is EndpointChanged on a Dispatcher built without an
// endpoint change store.
var ErrNoEndpointChanges = errors.New("dispatch: no endpoint change store configured")

// EndpointChanged publishes a webhook's unpublished state changes, oldest
// first, each as an operational event through the normal delivery path
// (signed like every delivery), then acts on it: a disabled endpoint's
// pending deliveries are woken so that they end now, and a recovered one's
// resume spread out (resumeDelays). Each change is marked published once
// it is done; a failure leaves it and the later ones for the next call.
func (d *Dispatcher) EndpointChanged(ctx context.Context, webhookID string) error {
	if d.stores.EndpointChanges == nil {
		return ErrNoEndpointChanges
	}
	changes, err := d.stores.EndpointChanges.UnpublishedEndpointChanges(ctx, webhookID)
	if err != nil {
		return err
	}
	for _, ch := range changes {
		if err := d.publishChange(ctx, ch); err != nil {
			return err
		}
		switch ch.EndpointChange.Kind {
		case hookflow.ChangeDisabled:
			err = d.WebhookRemoved(ctx, webhookID)
		case hookflow.ChangeCircuitClosed, hookflow.ChangeEnabled:
			err = d.resumeDeliveries(ctx, webhookID, ch.RateLimit)
		}
		if err != nil {
			return fmt.Errorf("act on %s of webhook %s: %w", ch.EndpointChange.Kind, webhookID, err)
		}
		if err := d.stores.EndpointChanges.MarkEndpointChangePublished(ctx, ch.ID); err != nil {
			return err
		}
	}
	return nil
}

// operationalEvent is the event a change publishes, addressed to the
// endpoint's own tenant: its client for a public webhook, its organization
// for a subscription (storage.EventStore.PublishEvent routes it).
func operationalEvent(ch hookflow.PendingEndpointChange) (*hookflow.Event, error) {
	data := hookflow.EndpointEventData{
		WebhookID: ch.WebhookID, Kind: ch.Kind, URL: ch.URL, State: stateAfter(ch), Change: ch.EndpointChange.Kind,
		Threshold: ch.Threshold, Reason: ch.Reason, FailingSince: ch.FailingSince, OccurredAt: ch.CreatedAt.UTC(),
	}
	raw, err := json.Marshal(data)
	if err != nil {
		return nil, fmt.Errorf("encode operational event of change %s: %w", ch.ID, err)
	}
	ev := &hookflow.Event{ID: hookflow.OperationalEventID(ch.ID), EventType: hookflow.OperationalEventType(ch.EndpointChange.Kind), Data: raw}
	if ch.Kind == hookflow.KindOrganization {
		ev.OrganizationID = ch.OrganizationID
	} else {
		ev.ClientID = ch.ClientID
	}
	return ev, nil
}

// stateAfter is the endpoint's state right after the change; a failing
// threshold does not change it, so the state now is told.
func stateAfter(ch hookflow.PendingEndpointChange) hookflow.EndpointState {
	switch ch.EndpointChange.Kind {
	case hookflow.ChangeCircuitOpened:
		return hookflow.EndpointOpen
	case hookflow.ChangeCircuitClosed, hookflow.ChangeEnabled:
		return hookflow.EndpointClosed
	case hookflow.ChangeDisabled:
		return hookflow.EndpointDisabled
	}
	return ch.State
}

// publishChange stores a change's operational event and starts its
// deliveries. It skips Publish's catalog checks: the reserved category
// cannot be archived, and its data is Hookflow's own, not a publisher's.
func (d *Dispatcher) publishChange(ctx context.Context, ch hookflow.PendingEndpointChange) error {
	ev, err := operationalEvent(ch)
	if err != nil {
		return err
	}
	if ev.EventType == "" {
		return fmt.Errorf("change %s: unknown kind %q", ch.ID, ch.EndpointChange.Kind)
	}
	deliveries, _, err := d.stores.Events.PublishEvent(ctx, ev, hookflow.OperationalCategory)
	if err != nil {
		return fmt.Errorf("store operational event of change %s: %w", ch.ID, err)
	}
	// A second publish finds the deliveries of the first; starting them
	// again starts none twice (deterministic workflow ids).
	if _, err := d.startAll(ctx, deliveries); err != nil {
		return fmt.Errorf("start operational event of change %s: %w", ch.ID, err)
	}
	return nil
}

// resumeDelays spreads n resumed deliveries at the endpoint's rate limit,
// or defaultResumeRate per second without one: the i-th waits i spacings.
func resumeDelays(n, rateLimit int) []time.Duration {
	rate := rateLimit
	if rate <= 0 {
		rate = defaultResumeRate
	}
	spacing := time.Second / time.Duration(rate)
	out := make([]time.Duration, n)
	for i := range out {
		out[i] = time.Duration(i) * spacing
	}
	return out
}

// resumeDeliveries tells each unsettled delivery of a recovered endpoint,
// oldest first, when to make its next attempt. A delivery that is not
// paused ignores the signal; one that ended is not found.
func (d *Dispatcher) resumeDeliveries(ctx context.Context, webhookID string, rateLimit int) error {
	ids, err := d.stores.EndpointChanges.ResumableDeliveries(ctx, webhookID)
	if err != nil {
		return err
	}
	delays := resumeDelays(len(ids), rateLimit)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(16)
	for i, id := range ids {
		g.Go(func() error {
			err := d.temporal.SignalWorkflow(gctx, WorkflowID(id), "", workflows.EndpointResumeSignal, workflows.Resume{After: workflows.Duration(delays[i])})
			var notFound *serviceerror.NotFound
			if err != nil && !errors.As(err, &notFound) {
				return fmt.Errorf("signal delivery %s to resume: %w", id, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// staleChangesPage bounds the webhooks one sweep publishes changes of.
const staleChangesPage = 200

// publishStaleChanges publishes the changes left unpublished since before
// the cutoff (zero: workflows.UnpublishedChangesAfter ago) and counts the webhooks it
// published for. A webhook that fails is logged and left to the next sweep.
func (d *Dispatcher) publishStaleChanges(ctx context.Context, before time.Time) int {
	if d.stores.EndpointChanges == nil {
		return 0
	}
	if before.IsZero() {
		before = time.Now().Add(-workflows.UnpublishedChangesAfter)
	}
	ids, err := d.stores.EndpointChanges.StaleEndpointChanges(ctx, before, staleChangesPage)
	if err != nil {
		d.logger.ErrorContext(ctx, "list unpublished endpoint changes", "error", err)
		return 0
	}
	done := 0
	for _, id := range ids {
		if err := d.EndpointChanged(ctx, id); err != nil {
			d.logger.ErrorContext(ctx, "publish endpoint changes", "webhook_id", id, "error", err)
			continue
		}
		done++
	}
	if len(ids) > 0 {
		d.logger.InfoContext(ctx, "unpublished endpoint changes published", "webhooks", len(ids), "published", done)
	}
	return done
}
