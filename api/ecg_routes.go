package api

import (
	"net/http"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// Paths of the ECG module, as seed 003 names their parameters. The payload
// hashes live under /subscriptions, the rest of an organization's under
// /webhook-subscriptions, as the seed has them.
const (
	categoriesPath = "/api/webhook-categories"
	categoryPath   = categoriesPath + "/:webhookCategoryId"
	eventsPath     = categoryPath + "/webhook-events"
	eventPath      = eventsPath + "/:webhookEventId"

	organizationPath  = "/api/organizations/:organizationId"
	subscriptionsPath = organizationPath + "/webhook-subscriptions"
	subscriptionPath  = subscriptionsPath + "/:subscriptionId"

	activityListPath   = subscriptionPath + "/activity"
	activityPath       = activityListPath + "/:activityId"
	activationListPath = subscriptionPath + "/activations"
	hashBasePath       = organizationPath + "/subscriptions/:subscriptionId"
)

// ecgRoutes is the ECG module's surface (seed 003), read top to bottom.
// The catalog's reads take any token and its writes need admin; every
// route under an organization takes admin or a token of the path's
// organization (orgScoped). Each lifecycleRoutes line adds archive,
// restore, activate, deactivate and DELETE.
func ecgRoutes(catalog *catalogHandlers, payloads *samplePayloadHandlers, subscriptions *subscriptionHandlers,
	secrets *secretHandlers, activity *activityHandlers, endpoints *endpointHandlers) []route {
	var routes []route
	add := func(rs ...route) { routes = append(routes, rs...) }

	// The catalog.
	add(route{http.MethodGet, "/api/seed-data/versions", payloads.listSeedDataVersions, anyToken})

	add(route{http.MethodPost, categoriesPath, catalog.createCategory, adminOnly},
		route{http.MethodGet, categoriesPath, catalog.listCategories, anyToken},
		route{http.MethodGet, categoryPath, catalog.getCategory, anyToken},
		route{http.MethodPatch, categoryPath, catalog.patchCategory, adminOnly})
	add(lifecycleRoutes(categoryPath, catalog.categoryLifecycle)...)

	add(route{http.MethodPost, eventsPath, catalog.createCatalogEvent, adminOnly},
		route{http.MethodGet, eventsPath, catalog.listCatalogEvents, anyToken},
		route{http.MethodGet, eventPath, catalog.getCatalogEvent, anyToken},
		route{http.MethodPatch, eventPath, catalog.patchCatalogEvent, adminOnly})
	add(lifecycleRoutes(eventPath, catalog.catalogEventLifecycle)...)
	add(route{http.MethodPut, eventPath + "/schema", catalog.putEventSchema, adminOnly},
		route{http.MethodGet, eventPath + "/schema", catalog.getEventSchema, anyToken},
		route{http.MethodDelete, eventPath + "/schema", catalog.deleteEventSchema, adminOnly})

	add(route{http.MethodPost, eventPath + "/sample-payloads", payloads.createSamplePayload, adminOnly},
		route{http.MethodGet, eventPath + "/sample-payloads", payloads.getSamplePayload, anyToken},
		route{http.MethodPatch, eventPath + "/sample-payloads", payloads.patchSamplePayload, adminOnly},
		route{http.MethodDelete, eventPath + "/sample-payloads", payloads.deleteSamplePayload, adminOnly},
		route{http.MethodGet, eventPath + "/sample-payloads-examples", payloads.getSamplePayloadExample, anyToken})

	add(route{http.MethodGet, "/api/webhook-deliveries/payload", payloads.randomDeliveryPayload, anyToken},
		route{http.MethodGet, "/api/webhook-events/:eventCode/subscriptions", subscriptions.listEventSubscriptions, adminOnly})

	// An organization's subscriptions and their secrets.
	add(orgScoped(
		route{http.MethodPost, subscriptionsPath, subscriptions.createSubscription, nil},
		route{http.MethodGet, subscriptionsPath, subscriptions.listSubscriptions, nil},
		route{http.MethodGet, subscriptionPath, subscriptions.getSubscription, nil},
		route{http.MethodPatch, subscriptionPath, subscriptions.patchSubscription, nil},
		route{http.MethodDelete, subscriptionPath + "/events/:eventId", subscriptions.removeSubscriptionEvent, nil})...)
	add(orgScoped(lifecycleRoutes(subscriptionPath, subscriptions.subscriptionLifecycle)...)...)

	add(orgScoped(
		route{http.MethodGet, subscriptionPath + "/secrets", secrets.getSubscriptionSecret, nil},
		route{http.MethodPut, subscriptionPath + "/secrets", secrets.rotateSubscriptionSecret, nil},
		route{http.MethodPost, subscriptionPath + "/webhook-secret-histories", secrets.addSubscriptionSecret, nil},
		route{http.MethodGet, subscriptionPath + "/webhook-secret-histories", secrets.listSubscriptionSecrets, nil})...)

	// Their activity, activations and payload hashes.
	add(orgScoped(
		route{http.MethodGet, activityListPath, activity.listActivities, nil},
		route{http.MethodPost, activityListPath, activity.addActivity, nil},
		route{http.MethodGet, activityPath, activity.getActivity, nil},
		route{http.MethodPost, activityPath + "/retry", activity.retryActivity, nil},
		route{http.MethodPost, activityPath + "/outcomes", activity.addOutcome, nil},

		route{http.MethodGet, activationListPath, activity.listActivations, nil},
		route{http.MethodGet, activationListPath + "/:activationId", activity.getActivation, nil},

		route{http.MethodPost, hashBasePath + "/webhooks-payloads", activity.webhooksPayload, nil},
		route{http.MethodPost, hashBasePath + "/validate-hash", activity.validateHash, nil},
		route{http.MethodGet, hashBasePath + "/activity/:activityId/get-hash", activity.getHash, nil})...)

	// A subscription's health, enable/disable and bulk recover.
	add(orgScoped(endpoints.endpointRoutes(subscriptionPath, endpoints.subscriptionEndpoint, ecgEnvelope, nil)...)...)
	return routes
}

// orgScoped opens routes to admin and to tokens whose org_id is the path's
// organizationId; any other token gets the 403 envelope.
func orgScoped(routes ...route) []route {
	out := make([]route, 0, len(routes))
	for _, r := range routes {
		handler := r.handler
		r.roles = anyToken
		r.handler = func(c *gin.Context) {
			p := principal(c)
			if !p.Has(auth.RoleAdmin) && (p.OrgID == "" || p.OrgID != c.Param("organizationId")) {
				fail(c, errForbidden)
				return
			}
			if id := organizationID(c); !hookflow.IsText(id) || utf8.RuneCountInString(id) > hookflow.MaxIDLength {
				fail(c, hookflow.ErrSubscriptionNotFound) // no organization has such an id (org_id claims are bounded alike)
				return
			}
			handler(c)
		}
		out = append(out, r)
	}
	return out
}

// organizationID is the path's organization, which orgScoped checked.
func organizationID(c *gin.Context) string { return c.Param("organizationId") }
