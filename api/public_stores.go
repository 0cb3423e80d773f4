package api

import (
	"context"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/dispatch"
)

// The stores and the dispatcher of the public v2 surface (webhooks,
// deliveries and logs, events), each named for what it is and a subset of
// the storage store of the same name.

// WebhookStore keeps webhooks (storage.WebhookStore).
type WebhookStore interface {
	CreateWebhook(ctx context.Context, w *hookflow.Webhook) error
	Webhook(ctx context.Context, id string) (*hookflow.Webhook, error)
	Webhooks(ctx context.Context, f hookflow.WebhookFilter) ([]*hookflow.Webhook, int, error)
	UpdateWebhook(ctx context.Context, id string, u hookflow.WebhookUpdate, by string) (*hookflow.Webhook, error)
	DeleteWebhook(ctx context.Context, id, by string) error
}

// WebhookReader loads one webhook: the signing side of a subscription.
type WebhookReader interface {
	Webhook(ctx context.Context, id string) (*hookflow.Webhook, error)
}

// DeliveryStore reads deliveries and their attempts (a subset of
// storage.DeliveryStore).
type DeliveryStore interface {
	Delivery(ctx context.Context, id string) (*hookflow.Delivery, error)
	Attempts(ctx context.Context, deliveryID string) ([]*hookflow.Attempt, error)
}

// LogStore searches deliveries as the logs show them (storage.LogStore).
type LogStore interface {
	SearchLogs(ctx context.Context, f hookflow.LogFilter) ([]hookflow.LogEntry, int, error)
	LogEntry(ctx context.Context, id string) (*hookflow.LogEntry, error)
}

// EventCodes are the live catalog's event codes, which requests naming an
// event are checked against (a subset of storage.CatalogStore).
type EventCodes interface {
	CatalogEventCodes(ctx context.Context, category string) ([]string, error)
	AllEventCodes(ctx context.Context) ([]string, error)
}

// Publisher stores an event and starts its deliveries (dispatch.Dispatcher).
type Publisher interface {
	Publish(ctx context.Context, ev *hookflow.Event) (dispatch.Published, error)
}

// Retrier makes a manual attempt of a delivery (dispatch.Dispatcher).
type Retrier interface {
	RetryNow(ctx context.Context, d *hookflow.Delivery, idempotencyKey string) (*hookflow.Attempt, error)
}

// WebhookRemover ends the pending retries of a webhook taken out of use
// (dispatch.Dispatcher).
type WebhookRemover interface {
	WebhookRemoved(ctx context.Context, webhookID string) error
}

// EndpointStore reads an endpoint's health and disables and re-enables it
// (storage.EndpointStore).
type EndpointStore interface {
	EndpointReport(ctx context.Context, webhookID string, now time.Time) (*hookflow.EndpointReport, error)
	DisableEndpoint(ctx context.Context, webhookID, reason, actor string) error
	EnableEndpoint(ctx context.Context, webhookID, actor string) error
}

// RecoveryReader reads an endpoint's bulk recover (storage.RecoveryStore).
type RecoveryReader interface {
	Recovery(ctx context.Context, webhookID, id string) (*hookflow.Recovery, error)
}

// Recoverer starts an endpoint's bulk recover in the background
// (dispatch.Dispatcher).
type Recoverer interface {
	StartRecovery(ctx context.Context, req hookflow.RecoveryRequest) (*hookflow.Recovery, bool, error)
}

// EndpointWatcher acts on an endpoint's recorded state changes at once:
// publishes them as operational events, ends a disabled endpoint's waiting
// deliveries, resumes a re-enabled one's (dispatch.Dispatcher).
type EndpointWatcher interface {
	EndpointChanged(ctx context.Context, webhookID string) error
}

// endpointDispatcher is what the endpoint handlers ask of dispatch.
type endpointDispatcher interface {
	EndpointWatcher
	Recoverer
}

// TestEventSender stores a test event with its one delivery and starts it
// (dispatch.Dispatcher).
type TestEventSender interface {
	SendTestEvent(ctx context.Context, ev *hookflow.Event, w hookflow.Webhook) (*hookflow.Delivery, error)
}

// Dispatcher is every orchestration the handlers ask of dispatch: storing
// and starting deliveries, retrying and settling them, recovering endpoints.
type Dispatcher interface {
	Publisher
	Retrier
	WebhookRemover
	EndpointWatcher
	ActivityPoster
	Recoverer
	TestEventSender
}
