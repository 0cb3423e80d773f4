package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/metrics"
)

func scrape(t *testing.T, m *metrics.Metrics) (int, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	body, _ := io.ReadAll(rec.Body)
	return rec.Code, string(body)
}

// The backlog is read from PostgreSQL on every scrape; with PostgreSQL gone
// the scrape still answers with everything else.
func TestRetryBacklogIsReadAtScrapeTimeAndItsFailureSparesTheRest(t *testing.T) {
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "metrics")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx) })
	m, err := metrics.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	if err := m.WatchRetryBacklog(db.Stores.Deliveries, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if code, body := scrape(t, m); code != http.StatusOK || !strings.Contains(body, "\nhookflow_deliveries_retrying 0\n") {
		t.Fatalf("scrape: %d\n%s", code, body)
	}

	db.DB.Close()
	code, body := scrape(t, m)
	if code != http.StatusOK || strings.Contains(body, "\nhookflow_deliveries_retrying ") || !strings.Contains(body, "go_goroutines") {
		t.Errorf("scrape with PostgreSQL gone: %d\n%s", code, body)
	}
}
