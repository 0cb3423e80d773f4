package hookflow

import (
	"encoding/json"
	"time"
)

// AuditInfo says who created and last changed an entity, and when. The
// subjects are tokens' `sub`; empty where the catalog was seeded.
type AuditInfo struct {
	CreatedAt time.Time
	CreatedBy string
	UpdatedAt time.Time
	UpdatedBy string
}

// Lifecycle is the state that archive, restore, activate, deactivate and
// delete move, shared by categories, events and subscriptions.
type Lifecycle struct {
	Active          bool
	ActiveChangedAt *time.Time
	ActiveChangedBy string
	ArchivedAt      *time.Time
	ArchivedBy      string
}

// LifecycleAction is one move of an entity's lifecycle.
type LifecycleAction string

// Lifecycle actions. Each is idempotent.
const (
	ActionArchive    LifecycleAction = "archive"
	ActionRestore    LifecycleAction = "restore"
	ActionActivate   LifecycleAction = "activate"
	ActionDeactivate LifecycleAction = "deactivate"
	ActionDelete     LifecycleAction = "delete"
)

// Category groups catalog events; its code prefixes theirs (shift, facility).
type Category struct {
	ID          string
	Code        string
	Name        string
	Description *string
	Audit       AuditInfo
	Lifecycle   Lifecycle
}

// CategoryRef is the short form of a category that an event carries.
type CategoryRef struct {
	ID   string
	Code string
	Name string
}

// CatalogEvent is one event type of the catalog, unique by (Code, Version).
type CatalogEvent struct {
	ID          string
	Category    CategoryRef
	Code        string
	Name        string
	Description *string
	Version     string
	Audit       AuditInfo
	Lifecycle   Lifecycle
}

// CatalogEventRef is the short form of an event that a sample payload carries.
type CatalogEventRef struct {
	ID      string
	Code    string
	Name    string
	Version string
}

// SamplePayload is an example of an event's data, one per (event, version).
type SamplePayload struct {
	ID      string
	Event   CatalogEventRef
	Version string
	Payload json.RawMessage
	Audit   AuditInfo
}

// SeedDataVersion is one set of catalog data that a migration applied.
type SeedDataVersion struct {
	Version     string
	Description string
	AppliedAt   time.Time
}

// CategoryInput is what creating or patching a category sets.
type CategoryInput struct {
	Code        string
	Name        string
	Description *string
}

// EventSchemaRef names the JSON Schema a catalog event (version) has: the
// event's id and the schema's revision, which grows on every change.
type EventSchemaRef struct {
	EventID  string
	Revision int64
}

// ErrEventSchemaNotFound is the 404 of an event that has no schema.
var ErrEventSchemaNotFound = &Error{Code: ENOTFOUND, Message: "Schema not found"}

// CatalogEventInput is what creating or patching an event sets.
type CatalogEventInput struct {
	Code        string
	Name        string
	Description *string
	Version     string
}

// Page selects a slice of a list ordered by creation time.
type Page struct {
	Descending bool
	Skip       int
	Take       int
}

// Subscription is a webhook of kind organization, as the ECG module shows it.
type Subscription struct {
	ID             string
	OrganizationID string
	PostURI        string
	Version        string
	SecretKey      string
	Events         []string
	IsDevelopment  bool
	Filter         string            // see Webhook.Filter
	Headers        map[string]string // custom headers (headers.go)
	RateLimit      int               // see Webhook.RateLimit; 0 is unlimited
	Audit          AuditInfo
	Lifecycle      Lifecycle
}

// Catalog errors in the ECG module's wording.
var (
	ErrCategoryNotFound      = &Error{Code: ENOTFOUND, Message: "Webhook category not found"}
	ErrCatalogEventNotFound  = &Error{Code: ENOTFOUND, Message: "Webhook event not found"}
	ErrSamplePayloadNotFound = &Error{Code: ENOTFOUND, Message: "Sample payload not found"}
	ErrCategoryHasEvents     = &Error{Code: ECONFLICT, Message: "Webhook category still has webhook events"}
	ErrCategoryCodeInUse     = &Error{Code: ECONFLICT, Message: "Webhook category code cannot change while the category has webhook events"}
)

// SubscriptionInput is what creating or patching a subscription sets.
type SubscriptionInput struct {
	PostURI       string
	Events        []string
	Version       string
	IsDevelopment bool
	Filter        string            // see Webhook.Filter; empty for none
	Headers       map[string]string // the whole set: empty clears it
	RateLimit     int               // deliveries per second; 0 is unlimited
}

// SubscriptionFilter narrows an organization's subscription list. EventID
// is a catalog event's id or code; subscriptions to all events match any.
type SubscriptionFilter struct {
	Version string
	EventID string
	Page    Page
}

// SecretHistoryEntry is one secret a subscription has had: current while
// ExpiresAt is nil, else signing until ExpiresAt (the rotation overlap).
type SecretHistoryEntry struct {
	ID        string
	SecretKey string
	CreatedAt time.Time
	ExpiresAt *time.Time
}

// Subscription errors in the ECG module's wording.
var (
	ErrSubscriptionNotFound = &Error{Code: ENOTFOUND, Message: "Webhook subscription not found"}
	ErrSecretNotFound       = &Error{Code: ENOTFOUND, Message: "Webhook secret not found"}
)
