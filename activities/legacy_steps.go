package activities

import (
	"context"
	"fmt"

	"github.com/hookflow/hookflow"
)

// Legacy: the split attempt's first two steps, Begin and Post, of delivery
// workflows started between the split (the split-attempt version marker) and
// the inline attempt (the InlineAttempts input flag); see
// workflows/legacy_attempt.go. Their third step, Complete, is live (see
// attempt.go). An attempt was three steps, so that a failure to record never
// repeats a POST: Begin writes the attempt's intent (no POST unless it is
// stored), Post signs and sends (its outcome goes back to the workflow, which
// keeps it), Complete records that outcome on the same row.
//
// Begin and Post can be deleted, with their registrations, once no workflow
// started before the release that introduced the inline attempt (Attempt,
// commit 7e133e2) is open, i.e. after the longest retry horizon has passed
// (the retry schedule, config.RetrySchedule, at its longest jitter plus an
// hour: see workflows/legacy_attempt.go).

// BeginInput names the attempt about to be made.
type BeginInput struct {
	DeliveryID string
	Kind       hookflow.AttemptKind
	// Key names the workflow step (run id and sequence), so that the step
	// run twice reuses one intent.
	Key string
}

// BeginResult is the attempt's id, or (Ended) why no attempt is to be made.
// It is the same type as the inline attempt's Ending, whose JSON it gave.
type BeginResult = Ending

// PostInput names the attempt to send; the activity loads the URL, body and
// secrets itself so that no secret enters the workflow's history.
type PostInput struct {
	DeliveryID string
	AttemptID  string
}

// Begin checks the delivery can still be attempted and records the intent.
func (a *Activities) Begin(ctx context.Context, in BeginInput) (BeginResult, error) {
	t, reason, err := a.loadDeliverable(ctx, in.DeliveryID)
	if err != nil {
		return BeginResult{}, err
	}
	if ended := endedBefore(t, reason, in.Kind); ended != nil {
		return *ended, nil
	}
	id, _, err := a.store.BeginAttempt(ctx, hookflow.AttemptIntent{DeliveryID: in.DeliveryID, Key: in.Key, URL: t.Webhook.URL, Kind: in.Kind})
	if err != nil {
		return BeginResult{}, fmt.Errorf("begin attempt of %s: %w", in.DeliveryID, err)
	}
	return BeginResult{AttemptID: id}, nil
}

// Post signs the event for the webhook as it is now and sends it. The
// receiver's answer, whatever it is, is an outcome; only a failure to load
// the delivery (before anything is sent) is an error, retried.
func (a *Activities) Post(ctx context.Context, in PostInput) (PostOutcome, error) {
	t, err := a.loadTarget(ctx, in.DeliveryID)
	if err != nil {
		return PostOutcome{}, err
	}
	req, err := a.prepare(t)
	if err != nil {
		return PostOutcome{}, err
	}
	if req.Err == nil {
		// Kept before the POST, so the history shows what was sent even when
		// the answer never comes back.
		if err := a.store.RecordRequest(ctx, in.DeliveryID, in.AttemptID, *req.sent()); err != nil {
			return PostOutcome{}, fmt.Errorf("record request of %s: %w", in.DeliveryID, err)
		}
	}
	return a.send(ctx, t, in.AttemptID, req), nil
}
