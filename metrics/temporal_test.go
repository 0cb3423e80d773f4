package metrics_test

import (
	"context"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/metrics"
	"github.com/hookflow/hookflow/workflows"
)

// scrapeLines is every sample line of /metrics that starts with prefix.
func scrapeLines(t *testing.T, m *metrics.Metrics, prefix string) []string {
	t.Helper()
	rec := httptest.NewRecorder()
	m.Handler().ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	var out []string
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, prefix) {
			out = append(out, line)
		}
	}
	return out
}

func newMetrics(t *testing.T) *metrics.Metrics {
	t.Helper()
	m, err := metrics.New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestSettledCounterDropsTheSDKTags(t *testing.T) {
	m := newMetrics(t)
	// The tags the SDK puts on a workflow's metrics handler.
	sdk := m.TemporalHandler().WithTags(map[string]string{"namespace": "default", "client_name": "temporal_go", "worker_type": "WorkflowWorker"}).
		WithTags(map[string]string{"task_queue": "q", "workflow_type": "DeliveryWorkflow", "activity_type": "none"})
	for _, outcome := range []string{"succeeded", "succeeded", "failed"} {
		sdk.WithTags(map[string]string{"outcome": outcome}).Counter(workflows.SettledCounter).Inc(1)
	}
	sdk.Counter("temporal_other").Inc(1)

	got := scrapeLines(t, m, metrics.DeliveriesSettled)
	want := []string{metrics.DeliveriesSettled + `{outcome="failed"} 1`, metrics.DeliveriesSettled + `{outcome="succeeded"} 2`}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("scraped:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	// The SDK's own series keep their tags.
	other := scrapeLines(t, m, "temporal_other_total")
	if len(other) != 1 || !strings.Contains(other[0], `client_name="temporal_go"`) || !strings.Contains(other[0], `task_queue="q"`) {
		t.Errorf("an SDK counter lost its tags: %v", other)
	}
}

func TestSettledCounterFromARealWorkflowHasOnlyItsOutcome(t *testing.T) {
	addr, err := testenv.TemporalAddress()
	if err != nil {
		t.Fatal(err)
	}
	m := newMetrics(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: addr, Namespace: "default", MetricsHandler: m.TemporalHandler(),
		Logger: sdklog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	queue := "metrics-settled-" + testenv.RandomID(4)
	w := sdkworker.New(c, queue, sdkworker.Options{})
	w.RegisterWorkflowWithOptions(func(ctx workflow.Context) error {
		workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"outcome": "succeeded"}).Counter(workflows.SettledCounter).Inc(1)
		return nil
	}, workflow.RegisterOptions{Name: "SettledCounterProbe"})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	run, err := c.ExecuteWorkflow(ctx, client.StartWorkflowOptions{TaskQueue: queue}, "SettledCounterProbe")
	if err != nil {
		t.Fatal(err)
	}
	if err := run.Get(ctx, nil); err != nil {
		t.Fatal(err)
	}
	got := scrapeLines(t, m, metrics.DeliveriesSettled)
	if len(got) != 1 || got[0] != metrics.DeliveriesSettled+`{outcome="succeeded"} 1` {
		t.Errorf("scraped %q, want only the outcome label", got)
	}
	// The SDK tagged the workflow's other series: what the counter no longer
	// carries. The worker counts the completion after the workflow task
	// completes, which may be just after run.Get returns: wait for it.
	tagged := func() bool {
		for _, line := range scrapeLines(t, m, "temporal_workflow_completed") {
			if strings.Contains(line, "client_name=") && strings.Contains(line, `task_queue="`+queue+`"`) {
				return true
			}
		}
		return false
	}
	deadline := time.Now().Add(5 * time.Second)
	for !tagged() && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if !tagged() {
		t.Errorf("temporal_workflow_completed carries no SDK tags: %q", scrapeLines(t, m, "temporal_workflow_completed"))
	}
}
