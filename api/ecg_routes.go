package api

import (
	"context"
	"encoding/json"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
)

// CatalogStore keeps the event catalog: categories, events, sample payloads
// and seed-data versions, and the live reads every other surface uses.
type CatalogStore interface {
	CatalogEventCodes(ctx context.Context, category string) ([]string, error)
	AllEventCodes(ctx context.Context) ([]string, error)

	CreateCategory(ctx context.Context, in hookflow.CategoryInput, by string) (*hookflow.Category, error)
	Category(ctx context.Context, id string) (*hookflow.Category, error)
	Categories(ctx context.Context, p hookflow.Page) ([]hookflow.Category, int, error)
	UpdateCategory(ctx context.Context, id string, in hookflow.CategoryInput, by string) (*hookflow.Category, error)
	CategoryLifecycle(ctx context.Context, id string, action hookflow.LifecycleAction, by string) error

	CreateCatalogEvent(ctx context.Context, categoryID string, in hookflow.CatalogEventInput, by string) (*hookflow.CatalogEvent, error)
	CatalogEvent(ctx context.Context, categoryID, eventID string) (*hookflow.CatalogEvent, error)
	CatalogEvents(ctx context.Context, categoryID string, p hookflow.Page) ([]hookflow.CatalogEvent, int, error)
	UpdateCatalogEvent(ctx context.Context, categoryID, eventID string, in hookflow.CatalogEventInput, by string) (*hookflow.CatalogEvent, error)
	CatalogEventLifecycle(ctx context.Context, categoryID, eventID string, action hookflow.LifecycleAction, by string) error
	RandomLiveEvent(ctx context.Context) (*hookflow.CatalogEvent, error)

	CreateSamplePayload(ctx context.Context, eventID, version string, payload json.RawMessage, by string) (*hookflow.SamplePayload, error)
	SamplePayload(ctx context.Context, eventID, version string) (*hookflow.SamplePayload, error)
	UpdateSamplePayload(ctx context.Context, eventID, version, newVersion string, payload json.RawMessage, by string) (*hookflow.SamplePayload, error)
	DeleteSamplePayload(ctx context.Context, eventID, version string) error
	SeedDataVersions(ctx context.Context) ([]hookflow.SeedDataVersion, error)

	EventSubscriptions(ctx context.Context, eventCode string) ([]hookflow.Subscription, error)
}

// Paths of the catalog, as seed 003 names their parameters.
const (
	categoriesPath = "/api/webhook-categories"
	categoryPath   = categoriesPath + "/:webhookCategoryId"
	eventsPath     = categoryPath + "/webhook-events"
	eventPath      = eventsPath + "/:webhookEventId"
)

// ecgRoutes is the ECG module's catalog surface (seed 003), read top to
// bottom. Reads take any token, writes need admin. Each lifecycleRoutes
// line adds archive, restore, activate, deactivate and DELETE.
func (s *Server) ecgRoutes() []route {
	var routes []route
	add := func(rs ...route) { routes = append(routes, rs...) }

	add(route{http.MethodGet, "/api/seed-data/versions", s.listSeedDataVersions, anyToken})

	add(route{http.MethodPost, categoriesPath, s.createCategory, adminOnly},
		route{http.MethodGet, categoriesPath, s.listCategories, anyToken},
		route{http.MethodGet, categoryPath, s.getCategory, anyToken},
		route{http.MethodPatch, categoryPath, s.patchCategory, adminOnly})
	add(s.lifecycleRoutes(categoryPath, s.categoryLifecycle)...)

	add(route{http.MethodPost, eventsPath, s.createCatalogEvent, adminOnly},
		route{http.MethodGet, eventsPath, s.listCatalogEvents, anyToken},
		route{http.MethodGet, eventPath, s.getCatalogEvent, anyToken},
		route{http.MethodPatch, eventPath, s.patchCatalogEvent, adminOnly})
	add(s.lifecycleRoutes(eventPath, s.catalogEventLifecycle)...)

	add(route{http.MethodPost, eventPath + "/sample-payloads", s.createSamplePayload, adminOnly},
		route{http.MethodGet, eventPath + "/sample-payloads", s.getSamplePayload, anyToken},
		route{http.MethodPatch, eventPath + "/sample-payloads", s.patchSamplePayload, adminOnly},
		route{http.MethodDelete, eventPath + "/sample-payloads", s.deleteSamplePayload, adminOnly},
		route{http.MethodGet, eventPath + "/sample-payloads-examples", s.getSamplePayloadExample, anyToken})

	add(route{http.MethodGet, "/api/webhook-deliveries/payload", s.randomDeliveryPayload, anyToken},
		route{http.MethodGet, "/api/webhook-events/:eventCode/subscriptions", s.listEventSubscriptions, adminOnly})
	return routes
}

// valueTrue is the answer of lifecycle actions and deletes.
var valueTrue = gin.H{"value": true}

// lifecycleRoutes are the five admin routes that move the lifecycle of the
// entity at base, written once for every entity that has one; apply finds
// the entity from the path and moves it.
func (s *Server) lifecycleRoutes(base string, apply func(c *gin.Context, action hookflow.LifecycleAction) error) []route {
	handle := func(action hookflow.LifecycleAction) gin.HandlerFunc {
		return func(c *gin.Context) {
			if err := apply(c, action); err != nil {
				s.fail(c, err)
				return
			}
			c.JSON(http.StatusOK, valueTrue)
		}
	}
	return []route{
		{http.MethodPost, base + "/archive", handle(hookflow.ActionArchive), adminOnly},
		{http.MethodPost, base + "/restore", handle(hookflow.ActionRestore), adminOnly},
		{http.MethodPost, base + "/activate", handle(hookflow.ActionActivate), adminOnly},
		{http.MethodPost, base + "/deactivate", handle(hookflow.ActionDeactivate), adminOnly},
		{http.MethodDelete, base, handle(hookflow.ActionDelete), adminOnly},
	}
}
