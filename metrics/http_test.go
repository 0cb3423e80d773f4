package metrics_test

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/hookflow/hookflow/metrics"
)

// Requests are labelled by route template, never by raw path or a made-up
// method, so no client can grow the number of series.
func TestMiddlewareLabelsByRouteTemplateWithBoundedValues(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	m, err := metrics.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	e := gin.New()
	e.Use(m.Middleware())
	e.GET("/webhooks/:id", func(c *gin.Context) { c.Status(http.StatusNoContent) })
	for _, req := range []*http.Request{
		httptest.NewRequest(http.MethodGet, "/webhooks/9f08085c", nil),
		httptest.NewRequest(http.MethodGet, "/webhooks/6605", nil),
		httptest.NewRequest(http.MethodGet, "/random/abc", nil),
		httptest.NewRequest("BREW", "/webhooks/1", nil),
	} {
		e.ServeHTTP(httptest.NewRecorder(), req)
	}
	want := `
# HELP hookflow_http_requests_total HTTP requests answered, by method, route template ("unmatched" for unknown paths) and status code.
# TYPE hookflow_http_requests_total counter
hookflow_http_requests_total{method="GET",route="/webhooks/:id",status="204"} 2
hookflow_http_requests_total{method="GET",route="unmatched",status="404"} 1
hookflow_http_requests_total{method="other",route="unmatched",status="404"} 1
`
	if err := testutil.GatherAndCompare(m.Registry(), strings.NewReader(want), metrics.HTTPRequests); err != nil {
		t.Error(err)
	}
}
