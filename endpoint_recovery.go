package hookflow

import "time"

// EndpointStats counts an endpoint's attempts over a period.
type EndpointStats struct {
	Attempts  int
	Succeeded int
	Failed    int
	// By result: the receiver's answer class, or no answer (timeout, error).
	Status2xx, Status3xx, Status4xx, Status5xx, Timeout, Error int
}

// SuccessRate is the share of attempts that succeeded, nil without attempts.
func (s EndpointStats) SuccessRate() *float64 {
	if s.Attempts == 0 {
		return nil
	}
	r := float64(s.Succeeded) / float64(s.Attempts)
	return &r
}

// EndpointReport is what the health API shows of an endpoint: its state,
// its rate limit, its recent attempts and its latest state changes.
type EndpointReport struct {
	Health    EndpointHealth
	RateLimit *int
	LastHour  EndpointStats
	LastDay   EndpointStats
	// Changes are the latest first, at most MaxEndpointChangesShown.
	Changes []EndpointChange
}

// MaxEndpointChangesShown bounds the state changes the health API shows.
const MaxEndpointChangesShown = 20

// RecoveryState is where a bulk recover stands.
type RecoveryState string

// Recovery states.
const (
	RecoveryRunning   RecoveryState = "running"
	RecoveryCompleted RecoveryState = "completed"
	RecoveryFailed    RecoveryState = "failed"
)

// MaxRecoveryWindow bounds a recover's window: the deliveries' log
// retention, past which nothing is left to recover.
const MaxRecoveryWindow = 14 * 24 * time.Hour

// RecoveryRequest asks to re-drive an endpoint's deliveries created in
// [Since, Until): the failed ones get one manual attempt each, the retrying
// ones are woken (retry-now).
type RecoveryRequest struct {
	WebhookID string
	// IdempotencyKey makes the same request again the same recover; empty:
	// every request is a new one.
	IdempotencyKey string
	Since, Until   time.Time
	EventType      string         // empty: every type
	Status         DeliveryStatus // failed or retrying; empty: both
	CreatedBy      string
}

// RecoveryCursor is the last delivery a recover handled, in (CreatedAt, ID)
// order; the zero value is before the first.
type RecoveryCursor struct {
	CreatedAt time.Time
	ID        string
}

// RecoveryProgress counts what a batch of a recover did.
type RecoveryProgress struct {
	Redriven int // failed deliveries given a manual attempt
	Woken    int // retrying deliveries attempted at once
	Skipped  int // at their attempt limit, or no longer attemptable
	Errors   int
}

// Recovery is a bulk recover of an endpoint and its progress.
type Recovery struct {
	ID             string
	WebhookID      string
	IdempotencyKey string
	State          RecoveryState
	Since, Until   time.Time
	EventType      string
	Status         DeliveryStatus
	// Found is how many deliveries matched when the recover was asked.
	Found int
	RecoveryProgress
	Cursor        *RecoveryCursor
	FailureReason string
	CreatedAt     time.Time
	CompletedAt   *time.Time
}

// ErrRecoveryNotFound answers a recover id that the endpoint does not have.
var ErrRecoveryNotFound = &Error{Code: ENOTFOUND, Message: "Recovery not found"}
