package api

import (
	"context"
	"net/http"
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

// healthHandlers probe the components the API needs.
type healthHandlers struct {
	components map[string]Pinger
}

// check answers in the Terminus format of seed 003: up components under
// info, down ones under error, all of them under details.
func (h *healthHandlers) check(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c, 3*time.Second)
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
	status := http.StatusOK
	if body.Status != "ok" {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, body)
}
