package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/retry"
)

// Legacy: the one-step attempt (Deliver) of delivery workflows started before
// attempts were split into Begin, Post and Complete (the split-attempt
// version marker; see workflows/legacy_attempt.go). Their histories replay
// it, and a retry of theirs runs it; new attempts never use it. It can be
// deleted, with its registration, once no workflow started before the
// release that introduced the inline attempt (Attempt, commit 7e133e2) is
// open, i.e. after the longest retry horizon has passed (the retry schedule,
// config.RetrySchedule, at its longest jitter plus an hour: see
// workflows/legacy_attempt.go).

// DeliverInput names the delivery; the activity loads everything else, so
// workflow histories carry ids, not payloads. Its JSON is in histories.
type DeliverInput struct {
	DeliveryID string
	Kind       hookflow.AttemptKind
	// NextDelay is the scheduled wait before the next attempt should this one
	// fail; nil on the last scheduled attempt.
	NextDelay *time.Duration
}

// Deliver makes one attempt in one step: load the webhook as it is now,
// sign, POST, and record, with no intent recorded before the POST.
func (a *Activities) Deliver(ctx context.Context, in DeliverInput) (AttemptResult, error) {
	t, reason, err := a.loadDeliverable(ctx, in.DeliveryID)
	if err != nil {
		return AttemptResult{}, err
	}
	if reason != "" {
		return AttemptResult{Ended: true, Reason: reason}, nil
	}
	resp, err := a.signAndPost(ctx, t)
	if err != nil {
		return AttemptResult{}, err
	}
	rule := retry.Outcome{Kind: in.Kind, Success: resp.Success(), FinishedAt: a.now(), RetryAfter: resp.RetryAfter, NextDelay: in.NextDelay}
	attempt := &hookflow.Attempt{
		DeliveryID: in.DeliveryID, URL: t.Webhook.URL, ResponseStatus: resp.StatusCode, ResponseBody: resp.Body,
		Duration: resp.Duration, Success: resp.Success(), Error: attemptError(resp),
		NextRetryAt: retry.NextAt(rule), DeliveryStatus: retry.Status(t.Delivery.Status, rule),
	}
	if err := a.store.RecordAttempt(ctx, attempt, in.Kind); err != nil {
		return AttemptResult{}, fmt.Errorf("record attempt of %s: %w", in.DeliveryID, err)
	}
	return resultOf(attempt), nil
}

// signAndPost signs the event with every current secret and posts it.
func (a *Activities) signAndPost(ctx context.Context, t *hookflow.DeliveryTarget) (egress.Response, error) {
	req, err := a.prepare(t)
	if err != nil {
		return egress.Response{}, err
	}
	return a.post(ctx, req), nil
}
