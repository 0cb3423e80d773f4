package metrics

import (
	"fmt"

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
// "_seconds" suffixes as Prometheus names them.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	return temporalotel.NewMetricsHandler(temporalotel.MetricsHandlerOptions{
		Meter:                m.meterProvider.Meter("temporal-sdk-go"),
		UseMonotonicCounters: true,
		OnError:              func(err error) { m.logger.Warn("temporal metric", "error", err) },
	})
}
