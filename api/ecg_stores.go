package api

import (
	"context"
	"encoding/json"
	"time"

	"github.com/hookflow/hookflow"
)

// The stores and the dispatcher of the ECG module's surface (seed 003),
// each named for what it is and a subset of the storage store of the same
// name.

// CatalogStore keeps the event catalog: categories and catalog events, the
// live event codes and versions every other surface checks against
// (storage.CatalogStore).
type CatalogStore interface {
	EventCodes
	CatalogVersions(ctx context.Context) ([]string, error)

	CreateCategory(ctx context.Context, in hookflow.CategoryInput, by string) (*hookflow.Category, error)
	Category(ctx context.Context, id string) (*hookflow.Category, error)
	Categories(ctx context.Context, p hookflow.Page) ([]hookflow.Category, int, error)
	UpdateCategory(ctx context.Context, id string, in hookflow.CategoryInput, by string) (*hookflow.Category, error)
	CategoryLifecycle(ctx context.Context, id string, action hookflow.LifecycleAction, by string) error

	CatalogEventReader
	CreateCatalogEvent(ctx context.Context, categoryID string, in hookflow.CatalogEventInput, by string) (*hookflow.CatalogEvent, error)
	CatalogEvents(ctx context.Context, categoryID string, p hookflow.Page) ([]hookflow.CatalogEvent, int, error)
	UpdateCatalogEvent(ctx context.Context, categoryID, eventID string, in hookflow.CatalogEventInput, by string) (*hookflow.CatalogEvent, error)
	CatalogEventLifecycle(ctx context.Context, categoryID, eventID string, action hookflow.LifecycleAction, by string) error

	EventSchema(ctx context.Context, categoryID, eventID string) (json.RawMessage, error)
	SetEventSchema(ctx context.Context, categoryID, eventID string, schema json.RawMessage, check func(sample json.RawMessage) error, by string) (json.RawMessage, error)
	DeleteEventSchema(ctx context.Context, categoryID, eventID, by string) error
}

// CatalogEventReader reads the catalog events sample payloads belong to.
type CatalogEventReader interface {
	CatalogEvent(ctx context.Context, categoryID, eventID string) (*hookflow.CatalogEvent, error)
	RandomLiveEvent(ctx context.Context) (*hookflow.CatalogEvent, error)
}

// SubscriptionCatalog is what subscriptions are checked against: the live
// event codes and the catalog's versions.
type SubscriptionCatalog interface {
	AllEventCodes(ctx context.Context) ([]string, error)
	CatalogVersions(ctx context.Context) ([]string, error)
}

// SamplePayloadStore keeps catalog events' sample payloads and the seed
// data's versions (storage.SamplePayloadStore).
type SamplePayloadStore interface {
	CreateSamplePayload(ctx context.Context, eventID, version string, payload json.RawMessage, check func(schema json.RawMessage) error, by string) (*hookflow.SamplePayload, error)
	SamplePayload(ctx context.Context, eventID, version string) (*hookflow.SamplePayload, error)
	UpdateSamplePayload(ctx context.Context, eventID, version, newVersion string, payload json.RawMessage, check func(schema json.RawMessage) error, by string) (*hookflow.SamplePayload, error)
	DeleteSamplePayload(ctx context.Context, eventID, version string) error
	// SampleData is the sample data of an event type's live catalog event,
	// nil when it has none: a test event's data.
	SampleData(ctx context.Context, code string) (json.RawMessage, error)
	SeedDataVersions(ctx context.Context) ([]hookflow.SeedDataVersion, error)
}

// SubscriptionStore keeps organization subscriptions, every call but
// EventSubscriptions scoped to one organization (storage.SubscriptionStore).
type SubscriptionStore interface {
	SubscriptionReader
	CreateSubscription(ctx context.Context, orgID string, in hookflow.SubscriptionInput, secret, by string) (*hookflow.Subscription, error)
	Subscriptions(ctx context.Context, orgID string, f hookflow.SubscriptionFilter) ([]hookflow.Subscription, int, error)
	UpdateSubscription(ctx context.Context, orgID, id string, in hookflow.SubscriptionInput, by string) (*hookflow.Subscription, error)
	SubscriptionLifecycle(ctx context.Context, orgID, id string, action hookflow.LifecycleAction, by string) error
	RemoveSubscriptionEvent(ctx context.Context, orgID, id, event, by string) error
	EventSubscriptions(ctx context.Context, eventCode string) ([]hookflow.Subscription, error)
}

// SubscriptionReader loads one subscription of an organization: the path's
// subscription of the secret and activity routes.
type SubscriptionReader interface {
	Subscription(ctx context.Context, orgID, id string) (*hookflow.Subscription, error)
}

// SecretStore keeps subscriptions' signing secrets and their history
// (storage.SecretStore).
type SecretStore interface {
	SubscriptionSecret(ctx context.Context, orgID, id string, at *time.Time) (string, error)
	RotateSubscriptionSecret(ctx context.Context, orgID, id, secret string, overlap time.Duration) (*hookflow.SecretHistoryEntry, error)
	SubscriptionSecretHistory(ctx context.Context, orgID, id string, p hookflow.Page) ([]hookflow.SecretHistoryEntry, int, error)
}

// ActivityStore reads the activity history of organization subscriptions
// and records the outcomes receivers report (a subset of
// storage.ActivityStore; posts are added through dispatch).
type ActivityStore interface {
	Activities(ctx context.Context, f hookflow.ActivityFilter) ([]hookflow.Activity, int, error)
	Activity(ctx context.Context, subscriptionID, id string) (*hookflow.Activity, error)
	ActivityTree(ctx context.Context, subscriptionID, id string, page hookflow.Page) ([]hookflow.Activity, int, error)
	Activations(ctx context.Context, f hookflow.ActivityFilter) ([]hookflow.Activity, int, error)
	Activation(ctx context.Context, subscriptionID, id string) (*hookflow.Activity, error)
	ActivityEvent(ctx context.Context, idOrCode, version string, live bool) (*hookflow.CatalogEventRef, error)
	RecordOutcome(ctx context.Context, subscriptionID string, o hookflow.Outcome) (string, string, error)
}

// ActivityPoster stores a post and starts its delivery, undoing the post
// when the start fails, and settles a delivery a receiver reported
// (dispatch.Dispatcher).
type ActivityPoster interface {
	PostActivity(ctx context.Context, post hookflow.ActivityPost) (*hookflow.Delivery, error)
	Settle(ctx context.Context, deliveryID string) error
}

// activityDispatcher is what the activity handlers ask of dispatch.
type activityDispatcher interface {
	ActivityPoster
	Retrier
}
