// Package activities holds the only code of the delivery path that touches
// the network or the database. A delivery attempts with Attempt (attempt.go):
// load the webhook, record the intent, sign and POST, record the outcome, all
// in one local activity, with Complete recording an outcome Attempt could
// not. The legacy_*.go files keep the older shapes of an attempt that
// workflows started before it still replay.
package activities

import (
	"context"
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
	RecordRequest(ctx context.Context, deliveryID, attemptID string, r hookflow.SentRequest) error
	FailDelivery(ctx context.Context, deliveryID, reason string) error
	// The endpoint-health gate (endpoint_gate.go).
	ClaimProbe(ctx context.Context, webhookID, deliveryID string, now time.Time, lease time.Duration) (bool, error)
	ReserveSlot(ctx context.Context, webhookID string, now time.Time, spacing time.Duration) (time.Time, error)
	PauseDelivery(ctx context.Context, deliveryID string, until time.Time) error
}

// Poster sends one HTTP attempt.
type Poster interface {
	Post(ctx context.Context, r egress.Request, now func() time.Time) egress.Response
}

// Activities are registered once on the worker.
type Activities struct {
	store  Store
	poster Poster
	logger *slog.Logger
	now    func() time.Time
	// endpoint is the circuit breaker and auto-disable policy; probeLease
	// how long a half-open probe holds the endpoint (an attempt's longest).
	endpoint   hookflow.EndpointPolicy
	probeLease time.Duration
	watcher    EndpointWatcher
}

// Option configures the activities.
type Option func(*Activities)

// WithEndpointPolicy sets the endpoint-health policy (the configuration's
// HOOKFLOW_CIRCUIT_* and HOOKFLOW_ENDPOINT_DISABLE_AFTER) and how long a
// half-open probe may take: the attempt timeout and a margin.
func WithEndpointPolicy(p hookflow.EndpointPolicy, probeLease time.Duration) Option {
	return func(a *Activities) { a.endpoint, a.probeLease = p, probeLease }
}

// WithEndpointWatcher sets who hears of an endpoint's state changes.
func WithEndpointWatcher(w EndpointWatcher) Option {
	return func(a *Activities) { a.watcher = w }
}

// New builds the activities; without options the endpoint policy is the
// configuration's default and no one watches endpoints.
func New(store Store, poster Poster, logger *slog.Logger, opts ...Option) *Activities {
	a := &Activities{store: store, poster: poster, logger: logger, now: time.Now,
		endpoint: hookflow.DefaultEndpointPolicy, probeLease: defaultProbeLease}
	for _, o := range opts {
		o(a)
	}
	return a
}

// AttemptResult is the small outcome of a recorded attempt that the workflow
// acts on; the response body goes to PostgreSQL only. Every shape of an
// attempt returns it, and so does the retry-now update.
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

func resultOf(a *hookflow.Attempt) AttemptResult {
	return AttemptResult{
		AttemptID: a.ID, Number: a.Number, Success: a.Success, StatusCode: a.ResponseStatus, Error: a.Error,
		DurationMs: a.Duration.Milliseconds(), NextRetryAt: a.NextRetryAt,
	}
}
