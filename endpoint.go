package hookflow

import "time"

// EndpointState is where an endpoint (a webhook or a subscription) stands:
// its circuit, or disabled. Its row in endpoint_health is the one place the
// state lives; every attempt consults it.
type EndpointState string

// Endpoint states. Closed attempts as usual; open makes no attempts until a
// half-open probe (one real delivery) succeeds; disabled ends its deliveries.
const (
	EndpointClosed   EndpointState = "closed"
	EndpointOpen     EndpointState = "open"
	EndpointHalfOpen EndpointState = "half_open"
	EndpointDisabled EndpointState = "disabled"
)

// EndpointChangeKind names a recorded change of an endpoint's state.
type EndpointChangeKind string

// Endpoint state changes, each recorded and published as an operational event.
const (
	ChangeCircuitOpened EndpointChangeKind = "circuit_opened"
	ChangeCircuitClosed EndpointChangeKind = "circuit_closed"
	// ChangeFailing announces a threshold (50, 70, 90 %) of the disable window.
	ChangeFailing  EndpointChangeKind = "failing"
	ChangeDisabled EndpointChangeKind = "disabled"
	ChangeEnabled  EndpointChangeKind = "enabled"
)

// EngineActor is the actor of the changes Hookflow makes itself.
const EngineActor = "hookflow"

// EndpointHealth is an endpoint's state as stored; the zero value (no row)
// is a healthy endpoint with a closed circuit.
type EndpointHealth struct {
	WebhookID           string
	State               EndpointState
	ConsecutiveFailures int
	FailingSince        *time.Time
	OpenedAt            *time.Time
	ProbeAt             *time.Time
	DisabledAt          *time.Time
	DisabledReason      string
	LastSuccessAt       *time.Time
	LastFailureAt       *time.Time
}

// EndpointChange is one recorded change of an endpoint's state.
type EndpointChange struct {
	ID          string
	WebhookID   string
	Kind        EndpointChangeKind
	Threshold   int // failing: 50, 70 or 90; disabled by the window: 100
	Reason      string
	Actor       string
	CreatedAt   time.Time
	PublishedAt *time.Time
}
