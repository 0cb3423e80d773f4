package metrics

import (
	"github.com/prometheus/client_golang/prometheus"

	"context"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/dispatch"
)

// Dispatcher is a dispatch.Dispatcher that counts what it publishes; every
// other method is the wrapped dispatcher's.
type Dispatcher struct {
	*dispatch.Dispatcher
	published *prometheus.CounterVec
}

// CountPublishes wraps d so that every successful publish is counted.
func (m *Metrics) CountPublishes(d *dispatch.Dispatcher) *Dispatcher {
	return &Dispatcher{Dispatcher: d, published: m.eventsPublished}
}

// Publish publishes ev and counts it once every delivery is durably started
// (the 202). Event types come from the catalog, so they make a bounded label.
func (d *Dispatcher) Publish(ctx context.Context, ev *hookflow.Event) (dispatch.Published, error) {
	published, err := d.Dispatcher.Publish(ctx, ev)
	if err == nil {
		d.published.WithLabelValues(ev.EventType).Inc()
	}
	return published, err
}
