package main

import (
	"bufio"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/internal/testenv"
)

// serving is a `hookflow serve` (or another role) running in this test
// process on a database, namespace and task queue of its own.
type serving struct {
	url       string
	namespace string
}

// startRole runs `hookflow <role>` until the test ends and waits until it
// answers probe.
func startRole(t *testing.T, role, probe string, env map[string]string) serving {
	t.Helper()
	gin.SetMode(gin.ReleaseMode)
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "serve")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Drop(ctx) })
	tc, err := testenv.NewTemporalClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	// A namespace of its own keeps serve's schedules out of "default".
	ns, err := testenv.NewNamespace(ctx, tc, "serve")
	if err != nil {
		t.Fatal(err)
	}
	temporalAddr, _ := testenv.TemporalAddress()
	addr := freeAddr(t)
	for k, v := range map[string]string{
		"HOOKFLOW_DATABASE_URL":          db.URL,
		"HOOKFLOW_TEMPORAL_ADDRESS":      temporalAddr,
		"HOOKFLOW_TEMPORAL_NAMESPACE":    ns,
		"HOOKFLOW_TASK_QUEUE":            "serve-" + testenv.RandomID(4),
		"HOOKFLOW_HTTP_ADDR":             addr,
		"HOOKFLOW_ALLOW_INSECURE_URLS":   "true",
		"HOOKFLOW_ALLOW_PRIVATE_TARGETS": "true",
	} {
		t.Setenv(k, v)
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		cmd := newRootCommand()
		cmd.SetArgs([]string{role})
		done <- cmd.ExecuteContext(runCtx)
	}()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("%s: %v", role, err)
		}
	})
	s := serving{url: "http://" + addr, namespace: ns}
	waitFor(t, 60*time.Second, role+" to answer "+probe, func() bool {
		select {
		case err := <-done:
			t.Fatalf("%s stopped: %v", role, err)
		default:
		}
		resp, err := http.Get(s.url + probe)
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// terminate ends a delivery's workflow so no timer outlives the test.
func (s serving) terminate(t *testing.T, deliveryID string) {
	ctx := context.Background()
	tc, err := testenv.NewTemporalClient(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	nc, err := client.NewClientFromExisting(tc, client.Options{Namespace: s.namespace})
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	_ = nc.TerminateWorkflow(ctx, "delivery-"+deliveryID, "", "test over")
}

// scrape reads /metrics as series ("name{labels}") to values.
func (s serving) scrape(t *testing.T) map[string]float64 {
	t.Helper()
	resp, err := http.Get(s.url + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/metrics answered %s", resp.Status)
	}
	series := map[string]float64{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("metrics line %q: %v", line, err)
		}
		series[line[:i]] = v
	}
	return series
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func waitFor(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestServeMetricsMoveWithAPublishAndItsDeliveries(t *testing.T) {
	// The failing delivery waits an hour for its retry: the backlog holds it.
	s := startRole(t, "serve", "/healthcheck", map[string]string{"HOOKFLOW_RETRY_SCHEDULE": "1h"})
	before := s.scrape(t)
	for _, family := range []string{"go_goroutines", "hookflow_deliveries_retrying"} {
		if _, ok := before[family]; !ok {
			t.Errorf("%s missing before any traffic", family)
		}
	}

	facility := "F-" + testenv.RandomID(4)
	for _, receiver := range []string{"success-response", "failed-response"} {
		if out, err := execute(t, "webhooks", "create", "--server", s.url, "--client-id", "c-"+facility, "--facilities", facility,
			"--url", s.url+"/api/webhook-processors/"+receiver); err != nil {
			t.Fatalf("webhooks create: %v\n%s", err, out)
		}
	}
	out, err := execute(t, "publish", "--server", s.url, "--event-type", "shift.created", "--facility", facility, "--data", `{"shiftId":"s-1"}`)
	if err != nil {
		t.Fatalf("publish: %v\n%s", err, out)
	}
	var published struct {
		Data struct {
			Deliveries []struct{ ID string } `json:"deliveries"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(out), &published); err != nil || len(published.Data.Deliveries) != 2 {
		t.Fatalf("publish printed (%v):\n%s", err, out)
	}
	for _, d := range published.Data.Deliveries {
		t.Cleanup(func() { s.terminate(t, d.ID) })
	}
	if resp, err := http.Get(s.url + "/no/such/route/42"); err == nil {
		resp.Body.Close()
	}

	want := map[string]float64{
		`hookflow_http_requests_total{method="POST",route="/api/v2/events",status="202"}`:                          1,
		`hookflow_http_requests_total{method="POST",route="/api/v2/public/webhooks/facility",status="201"}`:        2,
		`hookflow_http_requests_total{method="GET",route="unmatched",status="404"}`:                                1,
		`hookflow_http_request_duration_seconds_count{method="POST",route="/api/v2/events"}`:                       1,
		`hookflow_events_published_total{event_type="shift.created"}`:                                              1,
		`hookflow_delivery_attempts_total{result="2xx"}`:                                                           1,
		`hookflow_delivery_attempts_total{result="5xx"}`:                                                           1,
		`hookflow_delivery_attempt_duration_seconds_count{result="5xx"}`:                                           1,
		`hookflow_deliveries_retrying`:                                                                             1,
		`hookflow_http_requests_total{method="POST",route="/api/webhook-processors/failed-response",status="500"}`: 1,
	}
	var got map[string]float64
	waitFor(t, 30*time.Second, "the deliveries' attempts in /metrics", func() bool {
		got = s.scrape(t)
		for series, v := range want {
			if got[series] != v {
				return false
			}
		}
		return true
	})
	// The Temporal SDK's own worker metrics share the registry.
	var temporalSeries int
	for series, v := range got {
		if strings.HasPrefix(series, "temporal_workflow_task_execution_latency_seconds_count") && v > 0 {
			temporalSeries++
		}
	}
	if temporalSeries == 0 {
		t.Errorf("no temporal_workflow_task_execution_latency_seconds in /metrics")
	}
	for series := range got {
		for _, id := range []string{published.Data.Deliveries[0].ID, facility} {
			if strings.Contains(series, id) {
				t.Errorf("series %s carries an id as a label", series)
			}
		}
	}

	out, err = execute(t, "publish", "--server", s.url, "--event-type", "no.such.event", "--facility", facility)
	if err == nil || !strings.Contains(err.Error(), "400") || !strings.Contains(out, `"statusCode": 400`) {
		t.Errorf("publishing an unknown event type: %v\n%s", err, out)
	}
	list, err := execute(t, "webhooks", "list", "--server", s.url, "--client-id", "c-"+facility, "--facilities", facility)
	if err != nil || strings.Count(list, "/api/webhook-processors/") != 2 {
		t.Errorf("webhooks list (%v):\n%s", err, list)
	}
}

func TestWorkerAloneServesItsMetricsOnTheHTTPAddress(t *testing.T) {
	s := startRole(t, "worker", "/metrics", nil)
	got := s.scrape(t)
	var pollers float64
	for series, v := range got {
		if strings.HasPrefix(series, "temporal_num_pollers{") {
			pollers += v
		}
	}
	if pollers == 0 {
		t.Errorf("the worker's /metrics shows no Temporal pollers")
	}
	if _, ok := got["hookflow_deliveries_retrying"]; !ok {
		t.Errorf("the worker's /metrics has no retry backlog")
	}
	resp, err := http.Get(s.url + "/api/v2/events")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotFound {
		t.Errorf("a worker alone answers the API with %s", resp.Status)
	}
}

func TestProfilerListensOnItsOwnAddressOnlyWhenAsked(t *testing.T) {
	profiler := freeAddr(t)
	s := startRole(t, "worker", "/metrics", map[string]string{"HOOKFLOW_PPROF_ADDR": profiler})
	for _, c := range []struct {
		url  string
		want int
	}{
		{"http://" + profiler + "/debug/pprof/goroutine?debug=1", http.StatusOK},
		{s.url + "/debug/pprof/goroutine?debug=1", http.StatusNotFound},
	} {
		resp, err := http.Get(c.url)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET %s: %s, want %d", c.url, resp.Status, c.want)
		}
	}
}
