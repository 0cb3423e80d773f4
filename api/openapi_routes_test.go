package api

import (
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/metrics"
)

// ginParam matches gin's :name and *name path parameters.
var ginParam = regexp.MustCompile(`[:*]([A-Za-z0-9_]+)`)

func TestOpenAPIDocumentListsExactlyTheServedRoutes(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	m, err := metrics.New(logger)
	if err != nil {
		t.Fatal(err)
	}
	// Every optional route on, as `hookflow serve` wires it.
	s := NewServer(Deps{Logger: logger, Metrics: m}, Options{})
	var served []string
	for _, r := range s.engine.Routes() {
		if r.Method == http.MethodHead {
			continue // every GET answers HEAD too (see Server.handle); the document lists the GET
		}
		served = append(served, r.Method+" "+ginParam.ReplaceAllString(r.Path, "{$1}"))
	}
	var documented []string
	for path, item := range testenv.OpenAPISpec(t).Paths.Map() {
		for method := range item.Operations() {
			documented = append(documented, method+" "+path)
		}
	}
	if len(served) == 0 || len(documented) == 0 {
		t.Fatalf("served %d routes, documented %d: nothing to compare", len(served), len(documented))
	}
	for _, r := range served {
		if !slices.Contains(documented, r) {
			t.Errorf("%s is served but missing from the OpenAPI document (api/openapi/*.yaml)", r)
		}
	}
	for _, r := range documented {
		if !slices.Contains(served, r) {
			t.Errorf("%s is in the OpenAPI document but not served", r)
		}
	}
	t.Logf("%d routes, all documented:\n%s", len(served), strings.Join(served, "\n"))
}
