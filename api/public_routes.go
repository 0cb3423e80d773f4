package api

import (
	"net/http"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// publicRoutes is the public v2 surface (seeds 000, 001, 002, 004) and
// publishing, read top to bottom.
func publicRoutes(webhooks *webhookHandlers, logs *logHandlers, events *eventHandlers, portal *portalHandlers, tests *testEventHandlers,
	endpoints *endpointHandlers) []route {
	integrator := []auth.Role{auth.RoleIntegrator}
	logReaders := []auth.Role{auth.RoleIntegrator, auth.RoleSupport}
	var routes []route
	for _, kind := range []hookflow.WebhookKind{hookflow.KindFacility, hookflow.KindUser} {
		base := "/api/v2/public/webhooks/" + string(kind)
		routes = append(routes,
			route{http.MethodPost, base, webhooks.create(kind), integrator},
			route{http.MethodGet, base, webhooks.list(kind), integrator},
			route{http.MethodGet, base + "/:webhookId", webhooks.get(kind), integrator},
			route{http.MethodPatch, base + "/:webhookId", webhooks.update(kind), integrator},
			route{http.MethodDelete, base + "/:webhookId", webhooks.delete(kind), integrator},
			// One test event to this webhook alone (test_event_handler.go).
			route{http.MethodPost, base + "/:webhookId/test", tests.send(kind), integrator})
		// Its health, enable/disable and bulk recover: the owner, and support
		// as for the logs.
		routes = append(routes, endpoints.endpointRoutes(base+"/:webhookId", endpoints.publicEndpoint(kind), publicEnvelope, logReaders)...)
	}
	return append(routes,
		route{http.MethodGet, "/api/v2/public/webhooks/logs", logs.search, logReaders},
		route{http.MethodGet, "/api/v2/public/webhooks/logs/:logId", logs.detail, logReaders},
		route{http.MethodPost, "/api/v2/public/webhooks/logs/:logId/retry", logs.retry, logReaders},
		route{http.MethodPost, publishPath, events.publish, []auth.Role{auth.RolePublisher}},
		// The platform hands an integrator a link to /portal (portal_handler.go).
		route{http.MethodPost, "/api/v2/portal/links", portal.createLink, []auth.Role{auth.RolePublisher}})
}

// publishPath is where events are published; it has rate limits of its own.
const publishPath = "/api/v2/events"
