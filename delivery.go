package hookflow

import (
	"encoding/json"
	"slices"
	"time"
)

// DeliveryStatus is where a delivery stands.
type DeliveryStatus string

// Delivery statuses, also the DeliveryStatus search attribute's values.
const (
	StatusPending   DeliveryStatus = "pending"
	StatusRetrying  DeliveryStatus = "retrying"
	StatusSucceeded DeliveryStatus = "succeeded"
	StatusFailed    DeliveryStatus = "failed"
)

// Event is something that happened on the platform, published once.
type Event struct {
	ID             string
	EventType      string
	FacilityID     string
	ClientID       string
	OrganizationID string
	Data           json.RawMessage
	CreatedAt      time.Time
}

// envelope is the body every receiver gets.
type envelope struct {
	ID        string          `json:"id"`
	EventType string          `json:"eventType"`
	CreatedAt string          `json:"createdAt"`
	Data      json.RawMessage `json:"data"`
}

// Envelope renders the delivery body: {"id","eventType","createdAt","data"}.
// The logs show the same bytes as the receivers got.
func (e *Event) Envelope() ([]byte, error) {
	return json.Marshal(envelope{
		ID:        e.ID,
		EventType: e.EventType,
		CreatedAt: e.CreatedAt.UTC().Format(time.RFC3339Nano),
		Data:      e.Data,
	})
}

// Delivery is one event to one webhook, carried by one workflow.
type Delivery struct {
	ID             string
	EventID        string
	WebhookID      string
	EventType      string
	FacilityID     string
	ClientID       string
	OrganizationID string
	URL            string
	Status         DeliveryStatus
	AttemptCount   int
	NextRetryAt    *time.Time
	FailureReason  string
	CreatedAt      time.Time
	// WebhookKind is the kind of the delivery's webhook: a facility
	// webhook's deliveries are read only within a facilities claim.
	WebhookKind WebhookKind `json:",omitempty"`
}

// Attempt is one HTTP POST of a delivery.
type Attempt struct {
	ID             string
	DeliveryID     string
	Number         int
	RetryingFromID string // the attempt a manual retry retries
	Manual         bool
	URL            string
	ResponseStatus int
	ResponseBody   string
	Error          string
	Duration       time.Duration
	Success        bool
	NextRetryAt    *time.Time
	CreatedAt      time.Time
	// DeliveryStatus is the status recording the attempt leaves its delivery
	// in, as the retry rule decides it (retry.Status); set by the activity
	// that records it, empty on attempts read back.
	DeliveryStatus DeliveryStatus
	// Endpoint, when set, is recorded on the endpoint's health in the same
	// transaction as the attempt, and tells whether that changed its state.
	Endpoint *EndpointOutcome `json:"-"`
	// Request is what the attempt sent, when read back with it (a
	// delivery's attempts list) and recorded (attempts of old releases
	// were not).
	Request *SentRequest
}

// AttemptIntent is an attempt about to be made, recorded before its POST so
// that no request goes out unrecorded.
type AttemptIntent struct {
	DeliveryID string
	// Key names the workflow step making the attempt: the same key again is
	// the same intent.
	Key  string
	URL  string
	Kind AttemptKind
	// Request is what is about to be sent, when it is known already.
	Request *SentRequest
}

// SentRequest is an attempt's request as sent: the body, the signed headers
// (never the secrets) and the webhook-timestamp they sign.
type SentRequest struct {
	Body      []byte
	Headers   map[string]string
	Timestamp int64
	// CustomHeaders are the webhook's custom headers sent, names in lower
	// case as Headers'; stored sealed, they may hold a credential.
	CustomHeaders map[string]string
}

// AttemptKind says how an attempt changes its delivery's status.
type AttemptKind int

// Attempt kinds.
const (
	// ScheduledAttempt is part of the retry schedule: a failure with a
	// NextRetryAt is retrying, one without is the final failure.
	ScheduledAttempt AttemptKind = iota
	// ManualAttempt is a support retry: a success settles the delivery, a
	// failure leaves the schedule as it was.
	ManualAttempt
)

// DeliveryTarget is what an attempt needs: the delivery, its event and the
// webhook as it is now (an edit applies to the next attempt).
type DeliveryTarget struct {
	Delivery Delivery
	Event    Event
	Webhook  Webhook
	// EventTypeRetired is set once the catalog no longer has the event type
	// in use (it, or its category, deactivated, archived or deleted): the
	// delivery goes to nobody.
	EventTypeRetired bool
	// Health is the endpoint's row in endpoint_health, nil when it has none
	// (healthy, circuit closed).
	Health *EndpointHealth
}

// MaxLogTotal caps the count of a log search: counting every match of a
// broad filter over millions of rows would cost more than the page itself.
const MaxLogTotal = 10000

// LogFilter narrows a delivery log search.
type LogFilter struct {
	ClientID    string // empty: every client (support, admin)
	FacilityIDs []string
	EventType   string
	Start, End  *time.Time
	Limit       int
	Offset      int
	Ascending   bool
	// Scope hides deliveries of facility webhooks outside the caller's
	// current facilities claim.
	Scope FacilityScope
}

// FacilityScope limits the deliveries of facility webhooks a caller may
// read to the facilities of its current token. A webhook keeps the
// facilities it was created with (Hookflow holds no token at delivery
// time), so a facility taken out of a client's claim disappears from its
// logs here, at once, while the webhook itself changes only when patched.
type FacilityScope struct {
	Scoped     bool     // false: no limit (support, admin)
	Facilities []string // the caller's current facilities claim
}

// Allows reports whether a delivery to a webhook of kind, for facility, is
// within the scope. Deliveries of user webhooks and subscriptions belong
// to their client or organization, not to a facility.
func (s FacilityScope) Allows(kind WebhookKind, facility string) bool {
	return !s.Scoped || kind != KindFacility || slices.Contains(s.Facilities, facility)
}

// LogEntry is one delivery as the logs show it, with its latest attempt.
type LogEntry struct {
	Delivery    Delivery
	Request     json.RawMessage
	LastAttempt *Attempt
}

// DueCursor is where a page of the recovery sweep ended: the due time and id
// of its last delivery. The zero cursor starts at the beginning.
type DueCursor struct {
	Due time.Time
	ID  string
}

// Next is the cursor after the last of a page.
func (c DueCursor) Next(last Delivery) DueCursor {
	due := last.CreatedAt
	if last.NextRetryAt != nil {
		due = *last.NextRetryAt
	}
	return DueCursor{Due: due, ID: last.ID}
}
