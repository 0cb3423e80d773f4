package api

import (
	"context"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
)

type componentStatus struct {
	Status  string `json:"status"`
	Message string `json:"message,omitempty"`
}

type healthBody struct {
	Status  string                     `json:"status"`
	Info    map[string]componentStatus `json:"info"`
	Error   map[string]componentStatus `json:"error"`
	Details map[string]componentStatus `json:"details"`
}

// healthCacheFor is how long a probe's answer is reused: the route has no
// token, and a caller polling it in a loop must not turn into a stream of
// pings to PostgreSQL and Temporal.
const healthCacheFor = time.Second

// healthHandlers probe the components the API needs, at most once per
// healthCacheFor; callers arriving meanwhile get the last answer.
type healthHandlers struct {
	components map[string]Pinger

	mu       sync.Mutex // held through a probe, so concurrent callers share it
	probedAt time.Time
	status   int
	body     healthBody
}

// check answers in the Terminus format of seed 003: up components under
// info, down ones under error, all of them under details.
func (h *healthHandlers) check(c *gin.Context) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.probedAt.IsZero() || time.Since(h.probedAt) >= healthCacheFor {
		// The probe outlives a caller that hangs up: others wait on it.
		h.status, h.body = h.probe(context.WithoutCancel(c), c)
		h.probedAt = time.Now()
	}
	c.JSON(h.status, h.body)
}

func (h *healthHandlers) probe(ctx context.Context, c *gin.Context) (int, healthBody) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	body := healthBody{Status: "ok", Info: map[string]componentStatus{}, Error: map[string]componentStatus{}, Details: map[string]componentStatus{}}
	for name, p := range h.components {
		st := componentStatus{Status: "up"}
		if err := p.Ping(ctx); err != nil {
			// The reason is logged; callers only learn the component is down.
			requestLogger(c).WarnContext(ctx, "health check failed", "component", name, "error", err)
			st = componentStatus{Status: "down", Message: name + " is unreachable"}
			body.Error[name] = st
			body.Status = "error"
		} else {
			body.Info[name] = st
		}
		body.Details[name] = st
	}
	if body.Status != "ok" {
		return http.StatusServiceUnavailable, body
	}
	return http.StatusOK, body
}
