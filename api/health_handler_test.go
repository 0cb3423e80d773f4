package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/internal/testenv"
)

func TestHealthcheckIsUpWithDatabaseAndTemporal(t *testing.T) {
	h := newHarness(t)
	expectJSON(t, h.do(http.MethodGet, "/healthcheck", "", nil), http.StatusOK,
		`{"status":"ok","info":{"database":{"status":"up"},"temporal":{"status":"up"}},"error":{},"details":{"database":{"status":"up"},"temporal":{"status":"up"}}}`)
}

func TestHealthcheckIs503WhenPostgresIsUnreachable(t *testing.T) {
	ctx := context.Background()
	gone, err := testenv.NewDatabase(ctx, "health")
	if err != nil {
		t.Fatal(err)
	}
	if err := gone.Drop(ctx); err != nil { // closes the pool and removes the database
		t.Fatal(err)
	}
	h := newHarness(t, func(d *api.Deps, _ *api.Options) { d.Database = gone.DB })
	expectJSON(t, h.do(http.MethodGet, "/healthcheck", "", nil), http.StatusServiceUnavailable,
		`{"status":"error","info":{"temporal":{"status":"up"}},"error":{"database":{"status":"down","message":"database is unreachable"}},"details":{"database":{"status":"down","message":"database is unreachable"},"temporal":{"status":"up"}}}`)
}
