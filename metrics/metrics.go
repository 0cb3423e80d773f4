// Package metrics exports Hookflow's Prometheus metrics: HTTP requests,
// publishes, delivery attempts, the retry backlog and the Temporal SDK's own
// metrics, all in one registry built by New and served by Handler.
package metrics

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// latencyBuckets suit both API requests and webhook attempts: a few
// milliseconds up to the 15 s delivery timeout and beyond.
func latencyBuckets() []float64 {
	return []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 15, 30, 60}
}

// Names of Hookflow's own metric families.
const (
	HTTPRequests      = "hookflow_http_requests_total"
	HTTPDuration      = "hookflow_http_request_duration_seconds"
	EventsPublished   = "hookflow_events_published_total"
	Attempts          = "hookflow_delivery_attempts_total"
	AttemptDuration   = "hookflow_delivery_attempt_duration_seconds"
	RetryBacklog      = "hookflow_deliveries_retrying"
	DeliveriesSettled = "hookflow_deliveries_settled_total" // counted by the delivery workflow through the Temporal SDK
)

// FamilyNames lists the hookflow_* families a process exports.
func FamilyNames() []string {
	return []string{HTTPRequests, HTTPDuration, EventsPublished, Attempts, AttemptDuration, RetryBacklog, DeliveriesSettled}
}

// Metrics holds the registry and every Hookflow collector in it.
type Metrics struct {
	registry *prometheus.Registry
	logger   *slog.Logger

	httpRequests    *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec
	eventsPublished *prometheus.CounterVec
	attempts        *prometheus.CounterVec
	attemptDuration *prometheus.HistogramVec

	meterProvider *sdkmetric.MeterProvider
}

// New builds a registry with Hookflow's metrics, the Go runtime's and the
// process's, and a bridge for the Temporal SDK's metrics (TemporalHandler).
func New(logger *slog.Logger) (*Metrics, error) {
	m := &Metrics{
		registry: prometheus.NewRegistry(),
		logger:   logger,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: HTTPRequests,
			Help: "HTTP requests answered, by method, route template (\"unmatched\" for unknown paths) and status code.",
		}, []string{"method", "route", "status"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookflow_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by method and route template.",
			Buckets: latencyBuckets(),
		}, []string{"method", "route"}),
		eventsPublished: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: EventsPublished,
			Help: "Publishes answered 202 (every delivery durably started), by event type; an idempotent repeat counts again.",
		}, []string{"event_type"}),
		attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: Attempts,
			Help: "Webhook POSTs made, by result: 2xx, 3xx, 4xx, 5xx, timeout, refused (SSRF guard), network_error.",
		}, []string{"result"}),
		attemptDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "hookflow_delivery_attempt_duration_seconds",
			Help:    "Time from sending a webhook POST to reading its answer (or failing), by result.",
			Buckets: latencyBuckets(),
		}, []string{"result"}),
	}
	err := registerAll(m.registry,
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.eventsPublished, m.attempts, m.attemptDuration,
	)
	if err != nil {
		return nil, err
	}
	// Every result class exists from the start, so rates read 0, not "no data".
	for _, result := range []string{Result2xx, Result3xx, Result4xx, Result5xx, ResultTimeout, ResultRefused, ResultNetworkError} {
		m.attempts.WithLabelValues(result)
	}
	if m.meterProvider, err = newMeterProvider(m.registry); err != nil {
		return nil, err
	}
	return m, nil
}

func registerAll(r prometheus.Registerer, cs ...prometheus.Collector) error {
	for _, c := range cs {
		if err := r.Register(c); err != nil {
			return fmt.Errorf("register metrics: %w", err)
		}
	}
	return nil
}

// Handler serves the registry in the Prometheus text format. A collector
// that fails (the retry backlog while PostgreSQL is down) leaves the others
// served.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{
		ErrorLog:      slogPrinter{m.logger},
		ErrorHandling: promhttp.ContinueOnError,
		Registry:      m.registry, // promhttp_metric_handler_errors_total
	})
}

// Registry is the registry the metrics live in, for tests and extra collectors.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Shutdown stops the Temporal metrics bridge.
func (m *Metrics) Shutdown(ctx context.Context) error {
	if err := m.meterProvider.Shutdown(ctx); err != nil {
		return fmt.Errorf("stop Temporal metrics: %w", err)
	}
	return nil
}

// slogPrinter lets promhttp report scrape errors through slog.
type slogPrinter struct{ logger *slog.Logger }

func (p slogPrinter) Println(v ...any) { p.logger.Warn("metrics scrape", "error", fmt.Sprint(v...)) }
