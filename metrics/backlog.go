package metrics

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// RetryCounter counts deliveries waiting for a retry (storage.DB).
type RetryCounter interface {
	CountRetrying(ctx context.Context) (int64, error)
}

// backlog reads the retry backlog from PostgreSQL at scrape time, so the
// gauge is the same whichever process is scraped and never goes stale.
type backlog struct {
	store   RetryCounter
	timeout time.Duration
	desc    *prometheus.Desc
}

// WatchRetryBacklog adds the hookflow_deliveries_retrying gauge, read from
// store on every scrape within timeout.
func (m *Metrics) WatchRetryBacklog(store RetryCounter, timeout time.Duration) error {
	return registerAll(m.registry, &backlog{
		store:   store,
		timeout: timeout,
		desc: prometheus.NewDesc(RetryBacklog,
			"Deliveries waiting on a timer for their next attempt (status retrying), read from PostgreSQL at scrape time.", nil, nil),
	})
}

func (b *backlog) Describe(ch chan<- *prometheus.Desc) { ch <- b.desc }

func (b *backlog) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), b.timeout)
	defer cancel()
	n, err := b.store.CountRetrying(ctx)
	if err != nil {
		// The scrape goes on without the gauge; promhttp logs the error.
		ch <- prometheus.NewInvalidMetric(b.desc, err)
		return
	}
	ch <- prometheus.MustNewConstMetric(b.desc, prometheus.GaugeValue, float64(n))
}
