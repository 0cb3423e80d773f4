package hookflow

import (
	"strings"
	"time"
)

// OperationalCategory is the reserved catalog category of the events
// Hookflow publishes about endpoints (migration 00014). The API refuses to
// change it or its events, and routing sends each only to the endpoint's
// own tenant, to webhooks that name the event (AllEvents does not include
// it, so integrators who subscribed to everything get nothing new).
const OperationalCategory = "endpoint"

// Operational event types, one per kind of endpoint change (a recovered
// endpoint's data says whether its circuit closed or it was enabled).
const (
	EventCircuitOpened = "endpoint.circuit-opened"
	EventRecovered     = "endpoint.recovered"
	EventFailing       = "endpoint.failing"
	EventDisabled      = "endpoint.disabled"
)

// OperationalEventType names the event a change of an endpoint publishes.
func OperationalEventType(kind EndpointChangeKind) string {
	switch kind {
	case ChangeCircuitOpened:
		return EventCircuitOpened
	case ChangeCircuitClosed, ChangeEnabled:
		return EventRecovered
	case ChangeFailing:
		return EventFailing
	case ChangeDisabled:
		return EventDisabled
	}
	return ""
}

// IsOperationalEvent reports an event type of the reserved category.
func IsOperationalEvent(eventType string) bool {
	return strings.HasPrefix(eventType, OperationalCategory+".")
}

// ErrReservedCategory refuses a change to the reserved category or its events.
var ErrReservedCategory = &Error{Code: ECONFLICT, Message: "Webhook category endpoint is reserved for Hookflow's operational events and cannot be changed"}

// EndpointEventData is the data of an operational event.
type EndpointEventData struct {
	WebhookID string      `json:"webhookId"`
	Kind      WebhookKind `json:"kind"`
	URL       string      `json:"url"`
	// State is the endpoint's state after the change (for failing: now).
	State  EndpointState      `json:"state"`
	Change EndpointChangeKind `json:"change"`
	// Threshold is the percentage of the disable window reached, when set.
	Threshold    int        `json:"threshold,omitempty"`
	Reason       string     `json:"reason"`
	FailingSince *time.Time `json:"failingSince"`
	OccurredAt   time.Time  `json:"occurredAt"`
}

// OperationalEventID is the id of the event a change publishes: the same
// change publishes one event however often it is published.
func OperationalEventID(changeID string) string { return "endpoint-change-" + changeID }

// PendingEndpointChange is a change not yet published as an operational
// event, with what the event says about its endpoint.
type PendingEndpointChange struct {
	EndpointChange
	Kind           WebhookKind
	ClientID       string
	OrganizationID string
	URL            string
	RateLimit      int
	// State is the endpoint's state now (closed when it has no health row).
	State        EndpointState
	FailingSince *time.Time
}
