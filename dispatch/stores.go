package dispatch

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hookflow/hookflow"
)

// The stores dispatching reads and writes, one per aggregate; each is a
// subset of the storage store of the same name.

// CatalogStore tells the category of a published event's type and the
// JSON Schema its data is checked against.
type CatalogStore interface {
	EventCategory(ctx context.Context, eventType string) (string, error)
	LiveEventSchemaRef(ctx context.Context, code string) (*hookflow.EventSchemaRef, error)
	EventSchemaRef(ctx context.Context, eventID string) (*hookflow.EventSchemaRef, error)
	EventSchemaDocument(ctx context.Context, eventID string) (json.RawMessage, int64, error)
}

// EventStore keeps published events and their deliveries (a test event's
// one delivery too), and forgets an event whose workflows could not start.
type EventStore interface {
	PublishEvent(ctx context.Context, ev *hookflow.Event, category string) ([]hookflow.Delivery, bool, error)
	PublishTestEvent(ctx context.Context, ev *hookflow.Event, w hookflow.Webhook) (*hookflow.Delivery, error)
	DeleteEvent(ctx context.Context, id string) error
}

// DeliveryStore reads what retries and the recovery sweep need of deliveries.
type DeliveryStore interface {
	Attempt(ctx context.Context, id string) (*hookflow.Attempt, error)
	UnsettledDeliveries(ctx context.Context, webhookID string) ([]string, error)
	StrandedDeliveries(ctx context.Context, dueBefore time.Time, after hookflow.DueCursor, limit int) ([]hookflow.Delivery, error)
}

// ActivityStore keeps the posts added through the ECG API.
type ActivityStore interface {
	AddActivityPost(ctx context.Context, p hookflow.ActivityPost) (*hookflow.Delivery, error)
}

// Stores are the stores a Dispatcher uses.
type Stores struct {
	Catalog    CatalogStore
	Events     EventStore
	Deliveries DeliveryStore
	Activity   ActivityStore
	// EndpointChanges publishes endpoint state changes (EndpointChanged);
	// nil leaves them to another process.
	EndpointChanges EndpointChangeStore
	// Recoveries keeps bulk recovers (endpoint_recovery.go).
	Recoveries RecoveryStore
}

// EndpointChangeStore is the outbox of endpoint state changes that the
// operational events publish, and the deliveries a recovered endpoint
// resumes.
type EndpointChangeStore interface {
	UnpublishedEndpointChanges(ctx context.Context, webhookID string) ([]hookflow.PendingEndpointChange, error)
	StaleEndpointChanges(ctx context.Context, before time.Time, limit int) ([]string, error)
	MarkEndpointChangePublished(ctx context.Context, id string) error
	ResumableDeliveries(ctx context.Context, webhookID string) ([]string, error)
}
