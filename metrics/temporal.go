package metrics

import (
	"fmt"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/otlptranslator"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.temporal.io/sdk/client"
	temporalotel "go.temporal.io/sdk/contrib/opentelemetry"
)

// newMeterProvider bridges OpenTelemetry instruments into registry: the
// Temporal SDK reports through it (TemporalHandler).
func newMeterProvider(registry prometheus.Registerer) (*sdkmetric.MeterProvider, error) {
	exporter, err := otelprom.New(
		otelprom.WithRegisterer(registry),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithSuffixes),
		otelprom.WithoutTargetInfo(),
		otelprom.WithoutScopeInfo(),
		// The SDK's timers are histograms in seconds; OpenTelemetry's default
		// buckets are meant for milliseconds.
		otelprom.WithAggregationSelector(func(kind sdkmetric.InstrumentKind) sdkmetric.Aggregation {
			if kind == sdkmetric.InstrumentKindHistogram {
				return sdkmetric.AggregationExplicitBucketHistogram{Boundaries: latencyBuckets()}
			}
			return sdkmetric.DefaultAggregationSelector(kind)
		}),
	)
	if err != nil {
		return nil, fmt.Errorf("prometheus exporter for Temporal metrics: %w", err)
	}
	return sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter)), nil
}

// TemporalHandler is the Temporal client's metrics handler
// (client.Options.MetricsHandler): the SDK's worker, client and workflow
// metrics (temporal_*, and counters workflows emit such as
// hookflow_deliveries_settled) land in the same registry, with "_total" and
// "_seconds" suffixes as Prometheus names them. Hookflow's own counters keep
// only their own labels (boundedLabels), not the tags the SDK adds.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	h := temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                m.meterProvider.Meter("temporal-sdk-go"),
		UseMonotonicCounters: true,
		OnError:              func(err error) { m.logger.Warn("temporal metric", "error", err) },
	})
	return boundedHandler{root: h, tagged: h}
}

// boundedLabels are the labels each of Hookflow's counters counted through
// the SDK may carry. The SDK tags a workflow's metrics handler with
// namespace, task_queue, workflow_type, client_name, worker_type and
// activity_type; those describe the SDK's own series and would only split
// ours (their names are the Prometheus names without "_total").
var boundedLabels = map[string][]string{
	strings.TrimSuffix(DeliveriesSettled, "_total"): {"outcome"},
}

// boundedHandler passes the SDK's metrics through as they are, and builds the
// counters of boundedLabels on the untagged handler with only their labels.
type boundedHandler struct {
	root   client.MetricsHandler // no tags
	tagged client.MetricsHandler // root with tags
	tags   map[string]string     // every tag added on the way to tagged
}

// WithTags implements client.MetricsHandler.
func (h boundedHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := make(map[string]string, len(h.tags)+len(tags))
	for k, v := range h.tags {
		merged[k] = v
	}
	for k, v := range tags {
		merged[k] = v
	}
	return boundedHandler{root: h.root, tagged: h.tagged.WithTags(tags), tags: merged}
}

// Counter implements client.MetricsHandler.
func (h boundedHandler) Counter(name string) client.MetricsCounter {
	labels, ok := boundedLabels[name]
	if !ok {
		return h.tagged.Counter(name)
	}
	own := map[string]string{}
	for _, l := range labels {
		if v, ok := h.tags[l]; ok {
			own[l] = v
		}
	}
	return h.root.WithTags(own).Counter(name)
}

// Gauge implements client.MetricsHandler.
func (h boundedHandler) Gauge(name string) client.MetricsGauge { return h.tagged.Gauge(name) }

// Timer implements client.MetricsHandler.
func (h boundedHandler) Timer(name string) client.MetricsTimer { return h.tagged.Timer(name) }
