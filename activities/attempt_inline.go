package activities

import (
	"context"
	"fmt"
	"time"

	"github.com/hookflow/hookflow"
)

// Attempt is the whole attempt in one local activity: begin, POST and
// complete, in that order, as the three steps do (see attempt_steps.go) but
// in one workflow task, which costs the engine a third of the split steps.
//
// Nothing is sent before the intent is stored, so an error returned (and
// retried) is always one from before the POST. Once the POST is made the
// activity never fails: when recording the outcome fails, it returns the
// outcome as Unrecorded and the workflow completes it with the Complete step,
// retried until PostgreSQL answers, without posting again.
//
// A local activity's result is saved when its workflow task completes. When
// that is lost (the worker died, or Temporal dropped the task), the
// activity runs again with the same key: it finds the attempt recorded and
// returns it, and only an attempt that never reached its record (the worker
// died during the request) is posted again.
func (a *Activities) Attempt(ctx context.Context, in InlineInput) (InlineResult, error) {
	t, reason, err := a.loadDeliverable(ctx, in.DeliveryID)
	if err != nil {
		return InlineResult{}, err
	}
	if ended := endedBefore(t, reason, in.Kind); ended != nil {
		if ended.AlreadySettled {
			// Perhaps by this very step, run before with its result lost.
			return a.recordedOr(ctx, in.Key, InlineResult{Ended: ended})
		}
		return InlineResult{Ended: ended}, nil
	}
	req, err := a.prepare(t)
	if err != nil {
		return InlineResult{}, err
	}
	intent := hookflow.AttemptIntent{DeliveryID: in.DeliveryID, Key: in.Key, URL: t.Webhook.URL, Kind: in.Kind}
	if req.Err == nil {
		// Kept with the intent, so the history shows what was sent even
		// when the answer never comes back.
		intent.Request = &hookflow.SentRequest{Body: req.Body, Headers: sentHeaders(req.Headers), Timestamp: req.Timestamp}
	}
	id, reused, err := a.store.BeginAttempt(ctx, intent)
	if err != nil {
		return InlineResult{}, fmt.Errorf("begin attempt of %s: %w", in.DeliveryID, err)
	}
	if reused {
		if out, err := a.recordedOr(ctx, in.Key, InlineResult{}); err != nil || out.Recorded != nil {
			return out, err
		}
	}

	outcome := a.send(ctx, t, id, req)
	complete := CompleteInput{DeliveryID: in.DeliveryID, AttemptID: id, Kind: in.Kind, NextDelay: in.NextDelay, Outcome: outcome}
	attempt := complete.attempt()
	// A fresh intent has no attempt row yet, so the outcome is inserted
	// directly; the Complete step, which retries, checks for one first.
	if err := a.store.RecordAttempt(ctx, attempt, in.Kind); err != nil {
		a.logger.WarnContext(ctx, "attempt posted but not recorded yet; the workflow completes it",
			"delivery_id", in.DeliveryID, "attempt_id", id, "error", err)
		return InlineResult{Unrecorded: &complete}, nil
	}
	res := resultOf(attempt)
	return InlineResult{Recorded: &res}, nil
}

// recordedOr returns the attempt recorded for the intent key, if there is
// one, and otherwise the result given.
func (a *Activities) recordedOr(ctx context.Context, key string, otherwise InlineResult) (InlineResult, error) {
	stored, err := a.store.AttemptOfIntent(ctx, key)
	switch {
	case err == nil:
		res := resultOf(stored)
		return InlineResult{Recorded: &res}, nil
	case hookflow.ErrorCodeOf(err) == hookflow.ENOTFOUND:
		return otherwise, nil
	}
	return InlineResult{}, fmt.Errorf("find the attempt of %s: %w", key, err)
}

// InlineInput names the attempt to make in one step.
type InlineInput struct {
	DeliveryID string
	Kind       hookflow.AttemptKind
	// Key names the workflow step (run id and sequence), so that the step
	// run twice reuses one intent.
	Key string
	// NextDelay is the scheduled wait before the next attempt should this
	// one fail; nil on the last scheduled attempt and on manual ones.
	NextDelay *time.Duration `json:",omitempty"`
}

// InlineResult is exactly one of: why no attempt was made, the recorded
// attempt, or an outcome still to record.
type InlineResult struct {
	Ended      *BeginResult   `json:",omitempty"`
	Recorded   *AttemptResult `json:",omitempty"`
	Unrecorded *CompleteInput `json:",omitempty"`
}
