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
	// The engine's own bookkeeping: the current open period, the delivery
	// holding the half-open probe and until when, the highest failure
	// threshold announced.
	Cooldown          time.Duration
	ProbeDeliveryID   string
	ProbeLeaseUntil   *time.Time
	ThresholdNotified int
}

// Healthy reports a closed circuit with no failure on record, as an
// endpoint without a row is.
func (h *EndpointHealth) Healthy() bool {
	return h == nil || (h.State == EndpointClosed && h.ConsecutiveFailures == 0 && h.FailingSince == nil)
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

// EndpointPolicy is how the engine judges an endpoint's health
// (config: HOOKFLOW_CIRCUIT_* and HOOKFLOW_ENDPOINT_DISABLE_AFTER).
type EndpointPolicy struct {
	// FailureThreshold is the run of breaker failures that opens the
	// circuit; 0 turns the breaker off.
	FailureThreshold int
	// Cooldown is the first open period; each failed probe doubles it, up
	// to MaxCooldown.
	Cooldown    time.Duration
	MaxCooldown time.Duration
	// DisableAfter disables an endpoint failing for this long; 0: never.
	DisableAfter time.Duration
}

// DefaultEndpointPolicy is the policy of the configuration's defaults.
var DefaultEndpointPolicy = EndpointPolicy{FailureThreshold: 5, Cooldown: 30 * time.Second, MaxCooldown: 10 * time.Minute, DisableAfter: 120 * time.Hour}

// EndpointOutcome is what an attempt's outcome tells the endpoint's health,
// recorded with the attempt (see Attempt.Endpoint).
type EndpointOutcome struct {
	WebhookID string
	Policy    EndpointPolicy
	// At is when the outcome came (the attempt's end), on the worker's clock.
	At      time.Time
	Success bool
	// StatusCode is the receiver's answer, 0 for none (a network error).
	StatusCode int
	RetryAfter time.Duration
	// Healthy says the endpoint had no failure on record when the attempt
	// loaded it: a success then writes nothing.
	Healthy bool
	// Changed is set by the store when recording changed the endpoint's
	// state (a row was added to endpoint_state_changes).
	Changed bool
}

// BreakerFailure reports whether an outcome counts against the circuit:
// no answer (a network error, a timeout, a refusal), 5xx, 408 and 429.
// Other 4xx are the receiver's judgement of the request, not its health.
func (o EndpointOutcome) BreakerFailure() bool {
	if o.Success {
		return false
	}
	c := o.StatusCode
	return c == 0 || c >= 500 || c == 408 || c == 429
}
