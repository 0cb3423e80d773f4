// Package api serves Hookflow's HTTP API with gin: authentication, validation
// and the seeds' response shapes. Handlers stay thin and speak domain types.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

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
}

// Observer instruments every request and serves the metrics scrape.
type Observer interface {
	Middleware() gin.HandlerFunc
	Handler() http.Handler
}

// Deps are the collaborators the handlers use.
type Deps struct {
	Logger   *slog.Logger
	Verifier *auth.Verifier
	Database Pinger
	Temporal Pinger
	Webhooks WebhookStore
	Logs     LogStore
	Catalog  CatalogStore
	// Subscriptions keeps organization subscriptions and their secrets.
	Subscriptions SubscriptionStore
	// Activity keeps the subscriptions' post history.
	Activity   ActivityStore
	Dispatcher Dispatcher
	Metrics    Observer // optional: no /metrics without it
}

// Server routes HTTP requests to handlers.
type Server struct {
	deps      Deps
	opts      Options
	validator *Validator
	engine    *gin.Engine
}

// NewServer builds the router with every route and middleware.
func NewServer(deps Deps, opts Options) *Server {
	s := &Server{deps: deps, opts: opts, validator: NewValidator(opts.AllowInsecureURLs), engine: gin.New()}
	s.validator.registerTypedRules()
	e := s.engine
	e.ContextWithFallback = true // handlers pass c as a context.Context
	e.HandleMethodNotAllowed = false
	if deps.Metrics != nil {
		// Outermost, so a recovered panic is counted as the 500 it answers.
		e.Use(deps.Metrics.Middleware())
	}
	e.Use(s.recoverPanics(), s.logRequests())
	e.NoRoute(func(c *gin.Context) { s.fail(c, errRouteMissing) })

	e.GET("/healthcheck", s.healthcheck)
	if deps.Metrics != nil {
		e.GET("/metrics", gin.WrapH(deps.Metrics.Handler()))
	}

	s.mount(s.publicRoutes())
	s.mount(s.ecgRoutes())
	s.mount(s.organizationRoutes())
	s.mount(s.ecgActivityRoutes())

	// Built-in receivers for trying a webhook; deliveries carry no token.
	e.POST("/api/webhook-processors/success-response", testProcessor(http.StatusOK))
	e.POST("/api/webhook-processors/failed-response", testProcessor(http.StatusInternalServerError))

	routeDocs(e)
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

func (s *Server) fail(c *gin.Context, err error) { renderError(c, s.deps.Logger, err) }
