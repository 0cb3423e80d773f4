package api_test

import (
	"context"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

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

// countingPinger counts the probes that reach it.
type countingPinger struct{ pings atomic.Int32 }

func (p *countingPinger) Ping(context.Context) error {
	p.pings.Add(1)
	return nil
}

// TestHealthcheckProbesAtMostOncePerSecond: the route needs no token, so a
// flood of calls must not become a flood of pings.
func TestHealthcheckProbesAtMostOncePerSecond(t *testing.T) {
	db := &countingPinger{}
	h := newHarness(t, func(d *api.Deps, _ *api.Options) { d.Database = db })
	start := time.Now()
	for range 20 {
		if r := h.do(http.MethodGet, "/healthcheck", "", nil); r.status != http.StatusOK {
			t.Fatalf("healthcheck = %d", r.status)
		}
	}
	if n := db.pings.Load(); n != 1 && time.Since(start) < time.Second {
		t.Fatalf("20 calls within a second pinged the database %d times, want 1", n)
	}
	// Once the answer is a second old, the next call probes again.
	deadline := time.Now().Add(5 * time.Second)
	for db.pings.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the healthcheck never probed again")
		}
		h.do(http.MethodGet, "/healthcheck", "", nil)
		time.Sleep(50 * time.Millisecond)
	}
}
