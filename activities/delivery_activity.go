// Package activities holds the only code of the delivery path that touches
// the network or the database: an attempt begins (records its intent),
// posts, and completes (records its outcome).
package activities

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/egress"
)

// Store is what the activities read and write.
type Store interface {
	DeliveryTarget(ctx context.Context, deliveryID string) (*hookflow.DeliveryTarget, error)
	RecordAttempt(ctx context.Context, a *hookflow.Attempt, kind hookflow.AttemptKind) error
	BeginAttempt(ctx context.Context, in hookflow.AttemptIntent) (id string, reused bool, err error)
	AttemptOfIntent(ctx context.Context, key string) (*hookflow.Attempt, error)
	CompleteAttempt(ctx context.Context, a *hookflow.Attempt, kind hookflow.AttemptKind) error
	RecordRequest(ctx context.Context, attemptID string, body []byte, headers map[string]string, timestamp int64) error
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

// Deliver makes one attempt in one step: load the webhook as it is now,
// sign, POST, and record. It is kept for delivery workflows started before
// the attempt was split into Begin, Post and Complete, whose histories
// replay it; new attempts never use it.
func (a *Activities) Deliver(ctx context.Context, in AttemptInput) (AttemptResult, error) {
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
	attempt := &hookflow.Attempt{
		DeliveryID: in.DeliveryID, URL: t.Webhook.URL, ResponseStatus: resp.StatusCode, ResponseBody: resp.Body,
		Duration: resp.Duration, Success: resp.Success(), Error: attemptError(resp),
	}
	if !attempt.Success && in.Kind == hookflow.ScheduledAttempt && in.NextDelay != nil {
		next := a.now().Add(retryDelay(*in.NextDelay, resp.RetryAfter))
		attempt.NextRetryAt = &next
	}
	if err := a.store.RecordAttempt(ctx, attempt, in.Kind); err != nil {
		return AttemptResult{}, fmt.Errorf("record attempt of %s: %w", in.DeliveryID, err)
	}
	return resultOf(attempt), nil
}

// retryDelay honours a receiver's Retry-After: never sooner than the
// schedule, never later than MaxRetryAfter.
func retryDelay(scheduled, retryAfter time.Duration) time.Duration {
	return max(scheduled, min(retryAfter, MaxRetryAfter))
}
