package activities

import (
	"context"
	"fmt"
	"hash/fnv"
	"time"

	"github.com/hookflow/hookflow"
)

// EndpointWatcher hears that an endpoint's state changed (its circuit
// opened or closed, it was disabled, it passed a failure threshold), right
// after the change was recorded: it publishes the operational events and
// wakes the endpoint's waiting deliveries. Its errors are only logged: the
// recorded changes are an outbox that a sweep publishes anyway.
type EndpointWatcher interface {
	EndpointChanged(ctx context.Context, webhookID string) error
}

// Wait says that no attempt was made because the endpoint cannot take one
// now: the workflow waits until Until (a durable timer, no worker slot),
// then asks again, without counting an attempt or using its schedule.
type Wait struct {
	Until  time.Time
	Reason string
	// Slot is set when Until is a rate-limit slot reserved for this
	// delivery: the next ask passes it back (AttemptInput.Slot).
	Slot bool `json:",omitempty"`
}

const (
	// defaultProbeLease is a half-open probe's hold without WithEndpointPolicy.
	defaultProbeLease = 2 * time.Minute
	// watcherTimeout bounds the call to the watcher: the attempt's workflow
	// task must not wait on it.
	watcherTimeout = 5 * time.Second
	// maxSpread is the most a waiting delivery's return is spread by.
	maxSpread = 5 * time.Second
)

// The rate limit is strict at the receiver: no one-second window, sliding,
// ever holds more than rate requests of an endpoint. Slots are reserved
// spacing = (1s + slotTolerance + slotMargin) / rate apart, and an attempt
// starts only within slotTolerance after its own slot (a timer that fires
// later than that re-reserves, at the back). So the attempts of slots i and
// i+rate start at least 1s + slotMargin apart, whatever the timers do, and
// slotMargin absorbs what the request's way to the receiver varies. The
// price is a rate of rate/(1+tolerance+margin) in the long run.
const (
	slotTolerance = 200 * time.Millisecond
	slotMargin    = 50 * time.Millisecond
)

// slotSpacing is the gap between an endpoint's reserved slots.
func slotSpacing(rate int) time.Duration {
	return (time.Second + slotTolerance + slotMargin) / time.Duration(rate)
}

// gate decides whether a scheduled attempt may go to the endpoint now. It
// returns the output to give instead of an attempt (the endpoint is
// disabled, its circuit is open, or the rate limit says later), or nil.
// Manual attempts pass the circuit and the rate limit (a person asked), not
// a disabled endpoint.
func (a *Activities) gate(ctx context.Context, t *hookflow.DeliveryTarget, in AttemptInput) (*AttemptOutput, error) {
	h := t.Health
	if h != nil && h.State == hookflow.EndpointDisabled {
		reason := "endpoint disabled: " + h.DisabledReason
		if err := a.store.FailDelivery(ctx, in.DeliveryID, reason); err != nil {
			return nil, err
		}
		return &AttemptOutput{Ended: &Ending{Ended: true, Reason: reason, Status: hookflow.StatusFailed}}, nil
	}
	if in.Kind == hookflow.ManualAttempt || h == nil || a.endpoint.FailureThreshold == 0 {
		return nil, nil
	}
	now := a.now()
	spread := a.spread(in.DeliveryID, h.Cooldown)
	switch h.State {
	case hookflow.EndpointOpen:
		if h.ProbeAt != nil && now.Before(*h.ProbeAt) {
			return a.pause(ctx, in.DeliveryID, h.ProbeAt.Add(spread), "circuit open")
		}
	case hookflow.EndpointHalfOpen:
		if h.ProbeLeaseUntil != nil && now.Before(*h.ProbeLeaseUntil) && h.ProbeDeliveryID != in.DeliveryID {
			// Until the probe's outcome is likely known: a cooldown, or the
			// lease if it ends first (the prober died).
			until := now.Add(max(h.Cooldown, a.endpoint.Cooldown))
			if h.ProbeLeaseUntil.Before(until) {
				until = *h.ProbeLeaseUntil
			}
			return a.pause(ctx, in.DeliveryID, until.Add(spread), "circuit half-open: a probe is under way")
		}
	default:
		return nil, nil
	}
	won, err := a.store.ClaimProbe(ctx, t.Webhook.ID, in.DeliveryID, now, a.probeLease)
	if err != nil {
		return nil, err
	}
	if won {
		a.logger.InfoContext(ctx, "half-open probe", "delivery_id", in.DeliveryID, "webhook_id", t.Webhook.ID)
		return nil, nil
	}
	// Another delivery probes: come back about one cooldown later.
	return a.pause(ctx, in.DeliveryID, now.Add(max(h.Cooldown, a.endpoint.Cooldown)+spread), "circuit half-open: a probe is under way")
}

// rateGate holds a scheduled attempt of a rate-limited endpoint to its own
// slot (see slotSpacing): it passes an attempt in its slot, and otherwise
// reserves one and says to wait for it.
func (a *Activities) rateGate(ctx context.Context, t *hookflow.DeliveryTarget, in AttemptInput) (*AttemptOutput, error) {
	rate := t.Webhook.RateLimit
	if rate <= 0 || in.Kind == hookflow.ManualAttempt {
		return nil, nil
	}
	if in.Slot != nil {
		late := a.now().Sub(*in.Slot)
		switch {
		case late >= 0 && late <= slotTolerance:
			return nil, nil
		case late < 0: // the timer fired early by this clock: wait for the slot still
			return &AttemptOutput{Wait: &Wait{Until: *in.Slot, Reason: "rate limit", Slot: true}}, nil
		}
		// Missed by too much: a slot of its own again, at the back.
	}
	slot, err := a.store.ReserveSlot(ctx, t.Webhook.ID, a.now(), slotSpacing(rate))
	if err != nil {
		return nil, err
	}
	if late := a.now().Sub(slot); late >= 0 && late <= slotTolerance {
		return nil, nil
	}
	return &AttemptOutput{Wait: &Wait{Until: slot, Reason: "rate limit", Slot: true}}, nil
}

// pause shows the delivery's resumption on its row and says to wait.
func (a *Activities) pause(ctx context.Context, deliveryID string, until time.Time, reason string) (*AttemptOutput, error) {
	if err := a.store.PauseDelivery(ctx, deliveryID, until); err != nil {
		return nil, err
	}
	return &AttemptOutput{Wait: &Wait{Until: until, Reason: reason}}, nil
}

// spread is a delivery's own share of a tenth of the cooldown, at most
// maxSpread, the same on every ask: the waiting deliveries of an endpoint
// come back spread out, not all at once.
func (a *Activities) spread(deliveryID string, cooldown time.Duration) time.Duration {
	cooldown = max(cooldown, a.endpoint.Cooldown)
	h := fnv.New64a()
	_, _ = h.Write([]byte(deliveryID))
	window := min(cooldown/10, maxSpread)
	if window <= 0 {
		return 0
	}
	return time.Duration(h.Sum64() % uint64(window))
}

// outcome is what an attempt's outcome tells its endpoint's health.
func (a *Activities) outcome(t *hookflow.DeliveryTarget, o PostOutcome) *hookflow.EndpointOutcome {
	return &hookflow.EndpointOutcome{WebhookID: t.Webhook.ID, Policy: a.endpoint, At: o.FinishedAt, Success: o.Success,
		StatusCode: o.StatusCode, RetryAfter: o.RetryAfter, Healthy: t.Health.Healthy()}
}

// endpointChanged tells the watcher, if any, that recording an attempt
// changed its endpoint's state.
func (a *Activities) endpointChanged(ctx context.Context, o *hookflow.EndpointOutcome) {
	if o == nil || !o.Changed || a.watcher == nil {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, watcherTimeout)
	defer cancel()
	if err := a.watcher.EndpointChanged(ctx, o.WebhookID); err != nil {
		a.logger.WarnContext(ctx, "endpoint change not passed on; the outbox sweep will", "webhook_id", o.WebhookID,
			"error", fmt.Errorf("endpoint changed: %w", err))
	}
}
