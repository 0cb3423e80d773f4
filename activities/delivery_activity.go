// Package activities holds the only code of the delivery path that touches
// the network or the database: one attempt signs, posts and records.
package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/signing"
)

// Store is what the activities read and write.
type Store interface {
	DeliveryTarget(ctx context.Context, deliveryID string) (*hookflow.DeliveryTarget, error)
	RecordAttempt(ctx context.Context, a *hookflow.Attempt, kind hookflow.AttemptKind) error
	FailDelivery(ctx context.Context, deliveryID, reason string) error
}

// Poster sends one HTTP attempt.
type Poster interface {
	Post(ctx context.Context, r egress.Request, now func() time.Time) egress.Response
}

// MaxRetryAfter caps how long a receiver's Retry-After may delay a retry.
const MaxRetryAfter = 24 * time.Hour

// Activities are registered once on the worker.
type Activities struct {
	store  Store
	poster Poster
	logger *slog.Logger
	now    func() time.Time
}

// New builds the activities.
func New(store Store, poster Poster, logger *slog.Logger) *Activities {
	return &Activities{store: store, poster: poster, logger: logger, now: time.Now}
}

// AttemptInput names the delivery; the activity loads everything else, so
// workflow histories carry ids, not payloads.
type AttemptInput struct {
	DeliveryID string
	Kind       hookflow.AttemptKind
	// NextDelay is the scheduled wait before the next attempt should this one
	// fail; nil on the last scheduled attempt.
	NextDelay *time.Duration
}

// AttemptResult is the small outcome the workflow acts on; the response body
// goes to PostgreSQL only.
type AttemptResult struct {
	AttemptID   string
	Number      int
	Success     bool
	StatusCode  int
	Error       string
	DurationMs  int64
	NextRetryAt *time.Time
	// Ended is set when the webhook was deleted or deactivated: no attempt
	// was made and none will be.
	Ended  bool
	Reason string
}

// Deliver makes one attempt: load the webhook as it is now, sign, POST, and
// record the attempt with the delivery's new status.
func (a *Activities) Deliver(ctx context.Context, in AttemptInput) (AttemptResult, error) {
	t, err := a.store.DeliveryTarget(ctx, in.DeliveryID)
	if hookflow.ErrorCodeOf(err) == hookflow.ENOTFOUND {
		// Retrying cannot bring the row back; fail the workflow instead.
		return AttemptResult{}, temporal.NewNonRetryableApplicationError("delivery "+in.DeliveryID+" not found", "DeliveryNotFound", err)
	}
	if err != nil {
		return AttemptResult{}, fmt.Errorf("load delivery %s: %w", in.DeliveryID, err)
	}
	if !t.Webhook.Deliverable() {
		reason := "webhook deactivated"
		if t.Webhook.DeletedAt != nil {
			reason = "webhook deleted"
		}
		if err := a.store.FailDelivery(ctx, in.DeliveryID, reason); err != nil {
			return AttemptResult{}, err
		}
		return AttemptResult{Ended: true, Reason: reason}, nil
	}
	body, err := t.Event.Envelope()
	if err != nil {
		return AttemptResult{}, fmt.Errorf("render event %s: %w", t.Event.ID, err)
	}
	var resp egress.Response
	headers, err := signing.Headers(t.Event.ID, a.now(), body, t.Webhook.Secrets)
	if err != nil {
		// A webhook without a usable secret cannot be fixed by retrying the
		// activity; record a failed attempt so the schedule runs its course.
		resp.Err = fmt.Errorf("cannot sign: %w", err)
	} else {
		resp = a.poster.Post(ctx, egress.Request{URL: t.Webhook.URL, Body: body, Headers: headers}, a.now)
	}

	attempt := &hookflow.Attempt{
		DeliveryID:     in.DeliveryID,
		URL:            t.Webhook.URL,
		ResponseStatus: resp.StatusCode,
		ResponseBody:   resp.Body,
		Duration:       resp.Duration,
		Success:        resp.Success(),
	}
	if resp.Err != nil {
		attempt.Error = resp.Err.Error()
	} else if !attempt.Success {
		attempt.Error = fmt.Sprintf("receiver answered %d", resp.StatusCode)
	}
	if !attempt.Success && in.Kind == hookflow.ScheduledAttempt && in.NextDelay != nil {
		next := a.now().Add(retryDelay(*in.NextDelay, resp.RetryAfter))
		attempt.NextRetryAt = &next
	}
	if err := a.store.RecordAttempt(ctx, attempt, in.Kind); err != nil {
		return AttemptResult{}, fmt.Errorf("record attempt of %s: %w", in.DeliveryID, err)
	}
	a.logger.InfoContext(ctx, "delivery attempt",
		"delivery_id", in.DeliveryID, "webhook_id", t.Webhook.ID, "attempt", attempt.Number,
		"status", resp.StatusCode, "success", attempt.Success, "duration", resp.Duration)
	return AttemptResult{
		AttemptID:   attempt.ID,
		Number:      attempt.Number,
		Success:     attempt.Success,
		StatusCode:  attempt.ResponseStatus,
		Error:       attempt.Error,
		DurationMs:  attempt.Duration.Milliseconds(),
		NextRetryAt: attempt.NextRetryAt,
	}, nil
}

// retryDelay honours a receiver's Retry-After: never sooner than the
// schedule, never later than MaxRetryAfter.
func retryDelay(scheduled, retryAfter time.Duration) time.Duration {
	return max(scheduled, min(retryAfter, MaxRetryAfter))
}
