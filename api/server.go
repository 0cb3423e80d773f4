// Package api serves Hookflow's HTTP API with gin: authentication, validation
// and the seeds' response shapes. Handlers stay thin and speak domain types.
package api

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/auth"
)

// Pinger is anything the health check can probe.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Options configure the server.
type Options struct {
	MaxPayloadBytes int64
}

// Deps are the collaborators the handlers use.
type Deps struct {
	Logger   *slog.Logger
	Verifier *auth.Verifier
	Database Pinger
	Temporal Pinger
}

// Server routes HTTP requests to handlers.
type Server struct {
	deps   Deps
	opts   Options
	engine *gin.Engine
}

// NewServer builds the router with every route and middleware.
func NewServer(deps Deps, opts Options) *Server {
	s := &Server{deps: deps, opts: opts, engine: gin.New()}
	e := s.engine
	e.ContextWithFallback = true // handlers pass c as a context.Context
	e.HandleMethodNotAllowed = false
	e.Use(s.recoverPanics(), s.logRequests())
	e.NoRoute(func(c *gin.Context) { s.fail(c, errRouteMissing) })

	e.GET("/healthcheck", s.healthcheck)
	return s
}

// ServeHTTP makes Server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.engine.ServeHTTP(w, r) }

func (s *Server) fail(c *gin.Context, err error) { renderError(c, s.deps.Logger, err) }
