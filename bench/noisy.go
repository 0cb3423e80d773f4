package main

import (
	"context"
	"fmt"
	"time"
)

const (
	// noisyWebhooks are the webhooks of the noisy-neighbour runs, one
	// facility each; the last two are the bad ones (or healthy in the baseline).
	noisyWebhooks = 22
	noisyHealthy  = 20

	noisyBaselineName = "noisy neighbour: baseline, all 22 healthy"
	noisyName         = "noisy neighbour: 20 healthy + 1 hanging + 1 answering 500"
)

type noisyConfig struct {
	rate            float64
	duration        time.Duration
	deliveryTimeout time.Duration
}

func noisyFacility(i int) string { return fmt.Sprintf("N-%d", i) }

// noisyNeighbour spreads paced events round-robin over 22 webhooks, one per
// facility, and measures the 20 healthy ones' publish-to-receipt latency.
// With bad set, webhook 20 holds every request until Hookflow's delivery
// timeout and webhook 21 answers 500 (so it retries); without, both answer
// 200 like the rest, so that both runs carry the same load.
func (r *runner) noisyNeighbour(ctx context.Context, s *stack, bad bool) (*result, error) {
	for i := range noisyWebhooks {
		path := fmt.Sprintf("/w/%d", i)
		switch {
		case bad && i == noisyHealthy:
			path = fmt.Sprintf("/hang/%d", i)
		case bad && i == noisyHealthy+1:
			path = fmt.Sprintf("/fail/%d", i)
		}
		if err := s.createWebhook(ctx, r.rcv.url+path, noisyFacility(i)); err != nil {
			return nil, err
		}
	}
	r.rcv.reset()
	cfg := r.cfg.noisy
	n := int(cfg.rate * cfg.duration.Seconds())
	cpu0 := r.cpu(s)
	start := time.Now()
	sent, err := pace(ctx, cfg.rate, n, func(ctx context.Context, i int) error {
		return s.publishTo(ctx, fmt.Sprintf("noisy-%d", i), noisyFacility(i%noisyWebhooks))
	})
	if err != nil {
		return nil, err
	}
	healthy, want := 0, n
	for i := range n {
		if i%noisyWebhooks < noisyHealthy {
			healthy++
		}
	}
	if bad {
		want = healthy
	}
	ok := r.rcv.waitFor(want, 2*time.Minute)
	receipts, _ := r.rcv.snapshot()
	name := noisyBaselineName
	if bad {
		name = noisyName
	}
	res := &result{Name: name, Seconds: round2(time.Since(start).Seconds())}
	for i := range n {
		if i%noisyWebhooks >= noisyHealthy {
			continue
		}
		if t, got := receipts[fmt.Sprintf("noisy-%d/w/%d", i, i%noisyWebhooks)]; got {
			res.latencies = append(res.latencies, t.Sub(sent[i]))
		}
	}
	res.Deliveries, res.Lost = len(res.latencies), healthy-len(res.latencies)
	res.LatencyMs = latencySummary(res.latencies)
	res.DeliveriesPerSec = perSecond(len(receipts), cfg.duration.Seconds())
	res.PublishesPerSec = sendRate(sent)
	res.CPUSecPer1000 = cpuPer1000(r.cpu(s).since(cpu0), len(receipts))
	timeout := "15s (default)"
	if cfg.deliveryTimeout > 0 {
		timeout = cfg.deliveryTimeout.String()
	}
	res.Notes = fmt.Sprintf("%d events at %.0f/s over %d webhooks; latency of the %d healthy ones; delivery timeout %s", n, cfg.rate, noisyWebhooks, noisyHealthy, timeout)
	if bad {
		res.Notes += fmt.Sprintf("; the bad webhooks got %d requests", r.rcv.badRequests())
	}
	if !ok {
		res.Notes += "; timed out waiting for deliveries"
	}
	return res, nil
}
