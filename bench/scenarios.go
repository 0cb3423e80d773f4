package main

import (
	"context"
	"fmt"
	"math"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/hookflow/hookflow/signing"
)

// result is one scenario's figures.
type result struct {
	Name             string             `json:"name"`
	Deliveries       int                `json:"deliveries"`
	Seconds          float64            `json:"seconds"`
	DeliveriesPerSec float64            `json:"deliveriesPerSec,omitempty"`
	PublishesPerSec  float64            `json:"publishesPerSec,omitempty"`
	LatencyMs        map[string]float64 `json:"latencyMs,omitempty"`
	CPUSecPer1000    map[string]float64 `json:"cpuSecondsPer1000Deliveries,omitempty"`
	HistoryEvents    float64            `json:"historyEventsPerDelivery,omitempty"`
	Attempts         int                `json:"attempts,omitempty"`
	Lost             int                `json:"lost"`
	Notes            string             `json:"notes,omitempty"`
	Soak             *soakFigures       `json:"soak,omitempty"`
	Breaker          *breakerFigures    `json:"breaker,omitempty"`
	latencies        []time.Duration
}

func percentile(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	i = max(0, min(i, len(sorted)-1))
	return float64(sorted[i].Microseconds()) / 1000
}

func latencySummary(l []time.Duration) map[string]float64 {
	sorted := append([]time.Duration(nil), l...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return map[string]float64{"p50": percentile(sorted, 50), "p95": percentile(sorted, 95), "p99": percentile(sorted, 99), "max": percentile(sorted, 100)}
}

func cpuPer1000(c cpuSample, deliveries int) map[string]float64 {
	if deliveries == 0 {
		return nil
	}
	k := 1000 / float64(deliveries)
	round := func(v float64) float64 { return math.Round(v*k*100) / 100 }
	// other is the machine's CPU beyond the stack and the benchmark: work
	// that did not belong to the run (another user), which spoils it when large.
	other := max(0, c.machine-c.hookflow-c.temporal-c.postgres-c.bench)
	return map[string]float64{"hookflow": round(c.hookflow), "temporal": round(c.temporal), "postgres": round(c.postgres), "bench": round(c.bench), "other": round(other)}
}

// burst: n events from `concurrency` publishers to one webhook.
func (r *runner) burst(ctx context.Context, s *stack, name string) (*result, error) {
	if err := s.createWebhooks(ctx, r.rcv.url, 1); err != nil {
		return nil, err
	}
	r.rcv.reset()
	n := r.cfg.events
	prof := r.startProfiles(ctx, s, fileName(name))
	defer prof.wait()
	cpu0 := r.cpu(s)
	start := time.Now()
	var next atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range r.cfg.concurrency {
		g.Go(func() error {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return nil
				}
				if err := s.publish(gctx, fmt.Sprintf("burst-%d", i)); err != nil {
					return err
				}
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	published := time.Since(start)
	res := r.throughput(ctx, s, name, n, start, cpu0)
	res.PublishesPerSec = perSecond(n, published.Seconds())
	return res, nil
}

// throughput waits for want deliveries and measures them from start to the
// last receipt.
func (r *runner) throughput(ctx context.Context, s *stack, name string, want int, start time.Time, cpu0 cpuSample) *result {
	ok := r.rcv.waitFor(want, 5*time.Minute)
	receipts, _ := r.rcv.snapshot()
	elapsed := lastReceipt(receipts, start).Sub(start).Seconds()
	res := &result{Name: name, Deliveries: len(receipts), Seconds: round2(elapsed), DeliveriesPerSec: perSecond(len(receipts), elapsed),
		CPUSecPer1000: cpuPer1000(r.cpu(s).since(cpu0), len(receipts)), Lost: want - len(receipts)}
	if !ok {
		res.Notes = "timed out waiting for deliveries"
	}
	res.HistoryEvents = r.historyEvents(ctx, s, 50)
	return res
}

// paced: rate events/s for duration; latency from the publish call to receipt.
func (r *runner) paced(ctx context.Context, s *stack) (*result, error) {
	if err := s.createWebhooks(ctx, r.rcv.url, 1); err != nil {
		return nil, err
	}
	r.rcv.reset()
	n := int(r.cfg.rate * r.cfg.duration.Seconds())
	cpu0 := r.cpu(s)
	start := time.Now()
	sent, err := pace(ctx, r.cfg.rate, n, func(ctx context.Context, i int) error { return s.publish(ctx, fmt.Sprintf("paced-%d", i)) })
	if err != nil {
		return nil, err
	}
	ok := r.rcv.waitFor(n, 2*time.Minute)
	receipts, _ := r.rcv.snapshot()
	res := &result{Name: "paced", Seconds: round2(time.Since(start).Seconds())}
	for i := range n {
		if t, got := receipts[fmt.Sprintf("paced-%d/w/0", i)]; got {
			res.latencies = append(res.latencies, t.Sub(sent[i]))
		}
	}
	res.Deliveries, res.Lost = len(res.latencies), n-len(res.latencies)
	res.LatencyMs = latencySummary(res.latencies)
	res.DeliveriesPerSec = perSecond(res.Deliveries, r.cfg.duration.Seconds())
	res.PublishesPerSec = sendRate(sent)
	res.CPUSecPer1000 = cpuPer1000(r.cpu(s).since(cpu0), res.Deliveries)
	if !ok {
		res.Notes = "timed out waiting for deliveries"
	}
	res.HistoryEvents = r.historyEvents(ctx, s, 50)
	return res, nil
}

// fanOut: `events` events to `webhooks` webhooks each.
func (r *runner) fanOut(ctx context.Context, s *stack, name string, webhooks, events int) (*result, error) {
	if err := s.createWebhooks(ctx, r.rcv.url, webhooks); err != nil {
		return nil, err
	}
	r.rcv.reset()
	want := webhooks * events
	cpu0 := r.cpu(s)
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.cfg.concurrency)
	for i := range events {
		g.Go(func() error { return s.publish(gctx, fmt.Sprintf("%s-%d", fileName(name), i)) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return r.throughput(ctx, s, name, want, start, cpu0), nil
}

// Filters of the filter scenario: every published event matches the first
// and none the second, so the deliveries are fan-out 200x10's.
const (
	matchingFilter = `eventType == "shift.created" && data.role == "RN" && data.startsAt.startsWith("2026-")`
	missingFilter  = `eventType == "shift.created" && data.role == "MD"`
)

// filtered: fan-out 200x10 again, each of the 10 webhooks with a filter
// that matches, beside 10 whose filters match nothing, so the CPU per
// delivery shows what evaluating 20 filters per publish costs against the
// fan-out without filters.
func (r *runner) filtered(ctx context.Context, s *stack) (*result, error) {
	const webhooks, events = 10, 200
	for i := range webhooks {
		if err := s.createFilteredWebhook(ctx, fmt.Sprintf("%s/w/%d", r.rcv.url, i), "F-0", matchingFilter); err != nil {
			return nil, err
		}
		if err := s.createFilteredWebhook(ctx, fmt.Sprintf("%s/never/%d", r.rcv.url, i), "F-0", missingFilter); err != nil {
			return nil, err
		}
	}
	r.rcv.reset()
	cpu0 := r.cpu(s)
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.cfg.concurrency)
	for i := range events {
		g.Go(func() error { return s.publish(gctx, fmt.Sprintf("filtered-%d", i)) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	res := r.throughput(ctx, s, "fan-out 200x10 with 20 filters", webhooks*events, start, cpu0)
	res.Notes = "10 webhooks whose filters match every event, 10 whose filters match none; compare with fan-out 200x10 of the same run"
	return res, nil
}

// retryStorm: the receiver fails for a while; every delivery must still land.
func (r *runner) retryStorm(ctx context.Context, s *stack) (*result, error) {
	if err := s.createWebhooks(ctx, r.rcv.url, 1); err != nil {
		return nil, err
	}
	r.rcv.reset()
	n := r.cfg.stormEvents
	start := time.Now()
	r.rcv.failUntil(start.Add(r.cfg.stormOutage))
	cpu0 := r.cpu(s)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(r.cfg.concurrency)
	for i := range n {
		g.Go(func() error { return s.publish(gctx, fmt.Sprintf("storm-%d", i)) })
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	ok := r.rcv.waitFor(n, 5*time.Minute)
	receipts, requests := r.rcv.snapshot()
	last := lastReceipt(receipts, start)
	// The receiver sees a POST a moment before its attempt is recorded.
	var attempts, succeeded int
	for deadline := time.Now().Add(30 * time.Second); ; {
		if err := s.pool.QueryRow(ctx, `SELECT (SELECT count(*) FROM attempts), (SELECT count(*) FROM deliveries WHERE status = 'succeeded')`).Scan(&attempts, &succeeded); err != nil {
			return nil, err
		}
		if succeeded >= n || time.Now().After(deadline) {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	res := &result{Name: "retry storm", Deliveries: succeeded, Seconds: round2(last.Sub(start).Seconds()), Attempts: attempts, Lost: n - succeeded,
		CPUSecPer1000: cpuPer1000(r.cpu(s).since(cpu0), n),
		Notes:         fmt.Sprintf("receiver failed for %s; %d requests received, %d attempts recorded", r.cfg.stormOutage, requests, attempts)}
	if !ok {
		res.Notes += "; timed out waiting for deliveries"
	}
	res.HistoryEvents = r.historyEvents(ctx, s, 50)
	return res, nil
}

// limit: the same signed POSTs straight to the receiver, same concurrency.
func (r *runner) limit(ctx context.Context) (*result, error) {
	r.rcv.reset()
	n := r.cfg.events
	secret, _ := signing.GenerateSecret()
	body := []byte(`{"id":"x","eventType":"shift.created","createdAt":"2026-11-24T08:00:00Z","data":{"shiftId":"x"}}`)
	httpc := newHTTPClient()
	var next atomic.Int64
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	for range r.cfg.concurrency {
		g.Go(func() error {
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return nil
				}
				id := fmt.Sprintf("limit-%d", i)
				h, err := signing.Headers(id, time.Now(), body, []string{secret})
				if err != nil {
					return err
				}
				req, _ := http.NewRequestWithContext(gctx, http.MethodPost, r.rcv.url+"/limit", bytesReader(body))
				req.Header = h
				req.Header.Set("Content-Type", "application/json")
				resp, err := httpc.Do(req)
				if err != nil {
					return err
				}
				resp.Body.Close()
			}
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	elapsed := time.Since(start).Seconds()
	return &result{Name: "limit (direct POSTs)", Deliveries: n, Seconds: round2(elapsed), DeliveriesPerSec: perSecond(n, elapsed)}, nil
}

// historyEvents averages the history length of up to sample deliveries.
func (r *runner) historyEvents(ctx context.Context, s *stack, sample int) float64 {
	rows, err := s.pool.Query(ctx, `SELECT id::text FROM deliveries LIMIT $1`, sample)
	if err != nil {
		return 0
	}
	var ids []string
	for rows.Next() {
		var id string
		if rows.Scan(&id) == nil {
			ids = append(ids, "delivery-"+id)
		}
	}
	rows.Close()
	return r.historyLength(ctx, ids)
}

// historyLength averages the history length of workflows.
func (r *runner) historyLength(ctx context.Context, ids []string) float64 {
	var mu sync.Mutex
	total := 0
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, id := range ids {
		g.Go(func() error {
			it := r.temporal.GetWorkflowHistory(gctx, id, "", false, 0)
			count := 0
			for it.HasNext() {
				if _, err := it.Next(); err != nil {
					return err
				}
				count++
			}
			mu.Lock()
			total += count
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil || len(ids) == 0 {
		return 0
	}
	return round2(float64(total) / float64(len(ids)))
}

func (r *runner) procs(s *stack) procs {
	p := procs{temporal: r.temporalPID, postmaster: r.postmaster, temporalPostmaster: r.temporalPostmaster}
	if s != nil {
		p.hookflow = s.pids()
	}
	return p
}

func (r *runner) cpu(s *stack) cpuSample { return sampleCPU(r.procs(s)) }

// pace calls publish n times at rate per second, at most 64 at once, and
// returns when each call was made.
func pace(ctx context.Context, rate float64, n int, publish func(context.Context, int) error) ([]time.Time, error) {
	interval := time.Duration(float64(time.Second) / rate)
	sent := make([]time.Time, n)
	start := time.Now()
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(64)
	for i := range n {
		select {
		case <-gctx.Done():
			if err := g.Wait(); err != nil {
				return sent, err
			}
			return sent, ctx.Err()
		case <-time.After(time.Until(start.Add(time.Duration(i) * interval))):
		}
		sent[i] = time.Now()
		g.Go(func() error { return publish(gctx, i) })
	}
	return sent, g.Wait()
}

// sendRate is the publish rate pace achieved (below the asked rate when
// publishes back up on a saturated machine).
func sendRate(sent []time.Time) float64 {
	if len(sent) < 2 || sent[0].IsZero() || sent[len(sent)-1].IsZero() {
		return 0
	}
	return perSecond(len(sent)-1, sent[len(sent)-1].Sub(sent[0]).Seconds())
}

// lastReceipt is when the last delivery arrived, or start when none did.
func lastReceipt(receipts map[string]time.Time, start time.Time) time.Time {
	last := start
	for _, t := range receipts {
		if t.After(last) {
			last = t
		}
	}
	return last
}

// perSecond is a rate, 0 when no time passed (JSON has no infinity).
func perSecond(n int, seconds float64) float64 {
	if seconds <= 0 {
		return 0
	}
	return round2(float64(n) / seconds)
}

func round2(v float64) float64 { return math.Round(v*100) / 100 }
