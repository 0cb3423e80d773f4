package hookflow

import "time"

// WebhookKind says who owns a webhook and how events are routed to it.
type WebhookKind string

// Webhook kinds. Facility webhooks receive shift events of their facilities,
// user webhooks the facility events of their client, organization webhooks
// (the ECG module's subscriptions) the events of their organization.
const (
	KindFacility     WebhookKind = "facility"
	KindUser         WebhookKind = "user"
	KindOrganization WebhookKind = "organization"
)

// AllEvents subscribes a webhook to every event of its kind.
const AllEvents = "all"

// Webhook is an endpoint that receives signed event deliveries.
type Webhook struct {
	ID             string
	Kind           WebhookKind
	ClientID       string
	OrganizationID string
	URL            string
	Events         []string
	Facilities     []string
	// Secrets sign deliveries: the current ones first, then any rotated-out
	// secret of a subscription still inside its rotation overlap.
	Secrets []string
	// Headers are the custom headers every attempt sends (headers.go).
	Headers map[string]string
	Active  bool
	// Filter is a CEL expression an event must match to be delivered
	// (package filter); empty delivers every event subscribed to.
	Filter string
	// RateLimit is the most deliveries per second the endpoint accepts;
	// 0 is unlimited. Attempts beyond it wait on a durable timer.
	RateLimit  int
	CreatedAt  time.Time
	UpdatedAt  time.Time
	ArchivedAt *time.Time // only organization subscriptions are archived
	DeletedAt  *time.Time
}

// WebhookUpdate is a partial update: nil fields keep their value.
type WebhookUpdate struct {
	URL        *string
	Events     []string
	Facilities []string
	Secrets    []string
	Filter     *string // "" removes the filter
	// Headers, when not nil, replace the custom headers; empty clears them.
	Headers map[string]string
	// RateLimit, when not nil, sets the rate limit; 0 removes it.
	RateLimit *int
}

// WebhookFilter narrows a webhook listing to one page. An empty ClientID
// lists every client's.
type WebhookFilter struct {
	Kind     WebhookKind
	ClientID string
	Limit    int // page size, as the logs': 0 answers only the total
	Offset   int
}

// CategoryForKind names the catalog category whose events a webhook kind may
// subscribe to.
func CategoryForKind(kind WebhookKind) string {
	switch kind {
	case KindFacility:
		return "shift"
	case KindUser:
		return "facility"
	}
	return ""
}
