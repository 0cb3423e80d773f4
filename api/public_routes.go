package api

import (
	"net/http"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// publicRoutes is the public v2 surface (seeds 000, 001, 002, 004) and
// publishing, read top to bottom.
func (s *Server) publicRoutes() []route {
	integrator := []auth.Role{auth.RoleIntegrator}
	logReaders := []auth.Role{auth.RoleIntegrator, auth.RoleSupport}
	var routes []route
	for _, kind := range []hookflow.WebhookKind{hookflow.KindFacility, hookflow.KindUser} {
		base := "/api/v2/public/webhooks/" + string(kind)
		routes = append(routes,
			route{http.MethodPost, base, s.createWebhook(kind), integrator},
			route{http.MethodGet, base, s.listWebhooks(kind), integrator},
			route{http.MethodGet, base + "/:webhookId", s.getWebhook(kind), integrator},
			route{http.MethodPatch, base + "/:webhookId", s.updateWebhook(kind), integrator},
			route{http.MethodDelete, base + "/:webhookId", s.deleteWebhook(kind), integrator})
	}
	return append(routes,
		route{http.MethodGet, "/api/v2/public/webhooks/logs", s.searchLogs, logReaders},
		route{http.MethodGet, "/api/v2/public/webhooks/logs/:logId", s.getLog, logReaders},
		route{http.MethodPost, "/api/v2/public/webhooks/logs/:logId/retry", s.retryLog, logReaders},
		route{http.MethodPost, "/api/v2/events", s.publishEvent, []auth.Role{auth.RolePublisher}})
}
