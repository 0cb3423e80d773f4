// Package api serves Hookflow's HTTP API with gin: authentication, validation
// and the seeds' response shapes. Handlers stay thin and speak domain types.
//
// The package is cut by aggregate: each aggregate's handlers are methods of
// one handler type holding only the stores it uses (webhookHandlers,
// catalogHandlers, ...), its store interfaces declared with the others of
// its surface (public_stores.go, ecg_stores.go), and each surface has one
// route table (public_routes.go, ecg_routes.go). The HTTP kernel they share
// is bind.go, rules.go, messages.go, page.go, errors.go and jsonpatch.go.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// Pinger is anything the health check can probe.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options configure the server.
type Options struct {
	MaxPayloadBytes   int64
	AllowInsecureURLs bool // http:// webhook URLs pass validation (development)
	// SecretRotationOverlap is how long a subscription's rotated-out secret
	// keeps signing; zero stops it at once.
	SecretRotationOverlap time.Duration

	// TargetPorts are the ports webhook URLs and subscription postUris may
	// use (tenancy and egress): the zero value allows 443 and 80 only.
	TargetPorts hookflow.TargetPorts
	// Rate limits per tenant (ratelimit.go); the zero value turns one off.
	RateLimit        RateLimit // every authenticated route but publishing, per tenant
	PublishRateLimit RateLimit // POST /api/v2/events, per publisher
}

// Observer instruments every request and serves the metrics scrape.
type Observer interface {
	Middleware() gin.HandlerFunc
	Handler() http.Handler
}

// Stores are the stores the handlers use, one per aggregate. Each
// interface is a subset of the storage store of the same name.
type Stores struct {
	Webhooks       WebhookStore
	Deliveries     DeliveryStore
	Logs           LogStore
	Catalog        CatalogStore
	SamplePayloads SamplePayloadStore
	Subscriptions  SubscriptionStore
	Secrets        SecretStore
	Activity       ActivityStore
	Processors     ProcessorStore
	Endpoints      EndpointStore
	Recoveries     RecoveryReader
}

// Deps are the server's collaborators.
type Deps struct {
	Logger     *slog.Logger
	Verifier   *auth.Verifier
	Database   Pinger
	Temporal   Pinger
	Stores     Stores
	Dispatcher Dispatcher
	Metrics    Observer // optional: no /metrics without it
}

// Server routes HTTP requests to handlers.
type Server struct {
	engine   *gin.Engine
	verifier *auth.Verifier
	limits   tenantLimits
	// The route tables as mounted, one per surface.
	public, ecg []route
}

// NewServer builds the router with every route and middleware.
func NewServer(deps Deps, opts Options) *Server {
	s := &Server{verifier: deps.Verifier, engine: gin.New(),
		limits: newTenantLimits(opts.RateLimit, opts.PublishRateLimit, time.Now)}
	e := s.engine
	e.ContextWithFallback = true // handlers pass c as a context.Context
	e.HandleMethodNotAllowed = false
	if deps.Metrics != nil {
		// Outermost, so a recovered panic is counted as the 500 it answers.
		e.Use(deps.Metrics.Middleware())
	}
	e.Use(recoverPanics(deps.Logger), logRequests(deps.Logger), withLogger(deps.Logger))
	e.NoRoute(func(c *gin.Context) { fail(c, errRouteMissing) })

	health := &healthHandlers{components: map[string]Pinger{"database": deps.Database, "temporal": deps.Temporal}}
	s.get("/healthcheck", health.check)
	if deps.Metrics != nil {
		s.get("/metrics", gin.WrapH(deps.Metrics.Handler()))
	}

	b := &binder{rules: newRules(opts.AllowInsecureURLs, opts.TargetPorts), maxBytes: opts.MaxPayloadBytes}
	st, d := deps.Stores, deps.Dispatcher
	endpoints := newEndpointHandlers(st.Webhooks, st.Subscriptions, st.Endpoints, st.Recoveries, st.Catalog, d, b)
	s.public = publicRoutes(
		newWebhookHandlers(st.Webhooks, st.Catalog, d, b),
		newLogHandlers(st.Logs, st.Deliveries, st.Catalog, d, b),
		newEventHandlers(st.Catalog, d, b),
		newPortalHandlers(deps.Verifier, b),
		newTestEventHandlers(st.Webhooks, st.SamplePayloads, st.Catalog, d, b),
		endpoints)
	s.mount(s.public)
	subscriptions := newSubscriptionHandlers(st.Subscriptions, st.Catalog, d, b, opts.AllowInsecureURLs)
	s.ecg = ecgRoutes(
		newCatalogHandlers(st.Catalog, b),
		newSamplePayloadHandlers(st.SamplePayloads, st.Catalog, b),
		subscriptions,
		newSecretHandlers(st.Secrets, st.Subscriptions, b, opts.SecretRotationOverlap),
		newActivityHandlers(st.Activity, st.Subscriptions, st.Webhooks, st.Deliveries, st.Catalog, d, b),
		endpoints)
	s.mount(s.ecg)

	// Built-in receivers for trying a webhook: a token, or Hookflow's own
	// signature (deliveries carry no token).
	processors := newProcessorHandlers(deps.Verifier, st.Processors, opts.MaxPayloadBytes)
	e.POST("/api/webhook-processors/success-response", processors.answer(http.StatusOK))
	e.POST("/api/webhook-processors/failed-response", processors.answer(http.StatusInternalServerError))

	s.routeDocs()
	s.routePortal()
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }
