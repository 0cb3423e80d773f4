package api

import (
	"context"
	"net/http"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// SubscriptionStore keeps organization subscriptions and their secrets,
// every call scoped to one organization.
type SubscriptionStore interface {
	CatalogVersions(ctx context.Context) ([]string, error)

	CreateSubscription(ctx context.Context, orgID string, in hookflow.SubscriptionInput, secret, by string) (*hookflow.Subscription, error)
	Subscription(ctx context.Context, orgID, id string) (*hookflow.Subscription, error)
	Subscriptions(ctx context.Context, orgID string, f hookflow.SubscriptionFilter) ([]hookflow.Subscription, int, error)
	UpdateSubscription(ctx context.Context, orgID, id string, in hookflow.SubscriptionInput, by string) (*hookflow.Subscription, error)
	SubscriptionLifecycle(ctx context.Context, orgID, id string, action hookflow.LifecycleAction, by string) error
	RemoveSubscriptionEvent(ctx context.Context, orgID, id, event, by string) error

	SubscriptionSecret(ctx context.Context, orgID, id string, at *time.Time) (string, error)
	RotateSubscriptionSecret(ctx context.Context, orgID, id, secret string, overlap time.Duration) (*hookflow.SecretHistoryEntry, error)
	SubscriptionSecretHistory(ctx context.Context, orgID, id string, p hookflow.Page) ([]hookflow.SecretHistoryEntry, int, error)
}

// Paths under an organization, as seed 003 names their parameters.
const (
	organizationPath  = "/api/organizations/:organizationId"
	subscriptionsPath = organizationPath + "/webhook-subscriptions"
	subscriptionPath  = subscriptionsPath + "/:subscriptionId"
)

// organizationRoutes is the ECG module's organization surface (seed 003),
// read top to bottom. Every route is open to admin and to the tokens of the
// path's organization (orgScoped).
func (s *Server) organizationRoutes() []route {
	var routes []route
	add := func(rs ...route) { routes = append(routes, rs...) }

	add(route{http.MethodPost, subscriptionsPath, s.createSubscription, nil},
		route{http.MethodGet, subscriptionsPath, s.listSubscriptions, nil},
		route{http.MethodGet, subscriptionPath, s.getSubscription, nil},
		route{http.MethodPatch, subscriptionPath, s.patchSubscription, nil},
		route{http.MethodDelete, subscriptionPath + "/events/:eventId", s.removeSubscriptionEvent, nil})
	add(s.lifecycleRoutes(subscriptionPath, s.subscriptionLifecycle)...)

	add(route{http.MethodGet, subscriptionPath + "/secrets", s.getSubscriptionSecret, nil},
		route{http.MethodPut, subscriptionPath + "/secrets", s.rotateSubscriptionSecret, nil},
		route{http.MethodPost, subscriptionPath + "/webhook-secret-histories", s.addSubscriptionSecret, nil},
		route{http.MethodGet, subscriptionPath + "/webhook-secret-histories", s.listSubscriptionSecrets, nil})
	return s.orgScoped(routes)
}

// orgScoped opens routes to admin and to tokens whose org_id is the path's
// organizationId; any other token gets the 403 envelope.
func (s *Server) orgScoped(routes []route) []route {
	out := make([]route, 0, len(routes))
	for _, r := range routes {
		handler := r.handler
		r.roles = anyToken
		r.handler = func(c *gin.Context) {
			p := principal(c)
			if !p.Has(auth.RoleAdmin) && (p.OrgID == "" || p.OrgID != c.Param("organizationId")) {
				s.fail(c, errForbidden)
				return
			}
			if id := organizationID(c); !hookflow.IsText(id) || utf8.RuneCountInString(id) > hookflow.MaxIDLength {
				s.fail(c, hookflow.ErrSubscriptionNotFound) // no organization has such an id (org_id claims are bounded alike)
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
