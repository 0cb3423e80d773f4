package api

import (
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/auth"
)

const (
	principalKey = "hookflow.principal"
	loggerKey    = "hookflow.logger"
)

// withLogger gives every handler the server's logger (requestLogger), so
// handlers hold only their stores.
func withLogger(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		c.Set(loggerKey, logger)
		c.Next()
	}
}

// requestLogger is the server's logger, or a discarding one outside a request.
func requestLogger(c *gin.Context) *slog.Logger {
	if v, ok := c.Get(loggerKey); ok {
		if l, ok := v.(*slog.Logger); ok {
			return l
		}
	}
	return slog.New(slog.DiscardHandler)
}

// recoverPanics answers a panic with the 500 envelope and logs the cause.
func recoverPanics(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		defer func() {
			if r := recover(); r != nil {
				if r == http.ErrAbortHandler {
					panic(r)
				}
				renderError(c, logger, fmt.Errorf("panic: %v", r))
			}
		}()
		c.Next()
	}
}

// logRequests logs one line per request; it never logs headers or bodies,
// which carry tokens and secrets.
func logRequests(logger *slog.Logger) gin.HandlerFunc {
	return func(c *gin.Context) {
		start := time.Now()
		c.Next()
		level := slog.LevelInfo
		if c.Writer.Status() >= http.StatusInternalServerError {
			level = slog.LevelError
		}
		logger.LogAttrs(c.Request.Context(), level, "http request",
			slog.String("method", c.Request.Method),
			slog.String("route", c.FullPath()),
			slog.Int("status", c.Writer.Status()),
			slog.Duration("duration", time.Since(start)),
		)
	}
}

// authenticate checks the bearer token on every request of the group.
func authenticate(verifier *auth.Verifier) gin.HandlerFunc {
	return func(c *gin.Context) {
		header := c.GetHeader("Authorization")
		scheme, token, ok := strings.Cut(header, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
			fail(c, errUnauthorized)
			return
		}
		p, err := verifier.Verify(strings.TrimSpace(token))
		if err != nil {
			fail(c, errUnauthorized)
			return
		}
		c.Set(principalKey, p)
		c.Next()
	}
}

// requireRole lets through callers holding any of roles (admin holds all).
func requireRole(roles ...auth.Role) gin.HandlerFunc {
	return func(c *gin.Context) {
		if !principal(c).HasAny(roles...) {
			fail(c, errForbidden)
			return
		}
		c.Next()
	}
}

// principal returns the authenticated caller of an authenticated route.
func principal(c *gin.Context) auth.Principal {
	p, _ := c.Get(principalKey)
	pr, _ := p.(auth.Principal)
	return pr
}
