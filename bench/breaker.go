package main

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	enumspb "go.temporal.io/api/enums/v1"
	"golang.org/x/sync/errgroup"
)

const (
	// breakerHealthy are the healthy webhooks of the breaker runs, one
	// facility each (N-0 to N-3); the dead one is the next (N-4), so one
	// event in five goes to it.
	breakerHealthy = 4
	breakerDead    = breakerHealthy

	// breakerSchedule is short so that, without the breaker, every dead
	// delivery makes all its attempts inside the run (six, over 9 s).
	breakerSchedule = "1s,2s,2s,2s,2s"

	breakerOffName = "breaker off: 4 healthy + 1 dead (503)"
	breakerOnName  = "breaker on: 4 healthy + 1 dead (503)"
)

type breakerConfig struct {
	rate     float64
	duration time.Duration
	// settle is how long after the last publish the run keeps measuring:
	// long enough for the last dead delivery's schedule to run out without
	// the breaker, the same in both runs so their CPU covers the same span.
	settle   time.Duration
	cooldown time.Duration
}

// breakerFigures are what the breaker runs compare: the cost of a dead
// endpoint for the engine, and that nothing was lost.
type breakerFigures struct {
	// Breaker is the circuit setting of the run.
	Breaker string `json:"breaker"`
	// HealthyDelivered counts the healthy deliveries that succeeded.
	HealthyDelivered int `json:"healthyDelivered"`
	// DeadPublished counts the events sent to the dead endpoint.
	DeadPublished int `json:"deadPublished"`
	// DeadAttempts are the attempts recorded for the dead endpoint, and
	// DeadRequests the requests it received.
	DeadAttempts int `json:"deadAttempts"`
	DeadRequests int `json:"deadRequests"`
	// AttemptsPerHealthy is every attempt (healthy and dead) per healthy
	// delivery.
	AttemptsPerHealthy float64 `json:"attemptsPerHealthyDelivery"`
	// CPUMsPerHealthy is Hookflow + Temporal + PostgreSQL CPU milliseconds
	// per healthy delivery, over the whole run (publishing and settle).
	CPUMsPerHealthy float64 `json:"cpuMsPerHealthyDelivery"`
	// HealthyByStatus and DeadByStatus count deliveries by status at the end.
	HealthyByStatus map[string]int `json:"healthyByStatus"`
	DeadByStatus    map[string]int `json:"deadByStatus"`
	// DeadWaiting counts the dead deliveries not yet failed whose workflow
	// is still running: paused or in backoff, not dropped.
	DeadWaiting int `json:"deadWaiting"`
	// Circuit is the dead endpoint's state at the end ("" without a row).
	Circuit string `json:"circuit,omitempty"`
}

// breakerStack configures a breaker run's stack: the short schedule, and the
// circuit off or on at the default threshold with a short cooldown.
func (r *runner) breakerStack(on bool) func(*stackConfig) {
	return func(c *stackConfig) {
		c.retrySchedule = breakerSchedule
		if on {
			c.env = append(c.env, "HOOKFLOW_CIRCUIT_COOLDOWN="+r.cfg.breaker.cooldown.String())
		} else {
			c.env = append(c.env, "HOOKFLOW_CIRCUIT_FAILURE_THRESHOLD=off")
		}
	}
}

// breakerRun paces events round-robin over four healthy webhooks and one
// that answers 503 to everything, measures the healthy ones' latency, and
// counts what the dead one cost: attempts, and CPU per healthy delivery.
func (r *runner) breakerRun(ctx context.Context, s *stack, on bool) (*result, error) {
	for i := range breakerHealthy + 1 {
		path := fmt.Sprintf("/w/%d", i)
		if i == breakerDead {
			path = fmt.Sprintf("/dead/%d", i)
		}
		if err := s.createWebhook(ctx, r.rcv.url+path, noisyFacility(i)); err != nil {
			return nil, err
		}
	}
	r.rcv.reset()
	cfg := r.cfg.breaker
	n := int(cfg.rate * cfg.duration.Seconds())
	cpu0 := r.cpu(s)
	start := time.Now()
	var republished atomic.Int64
	sent, err := pace(ctx, cfg.rate, n, func(ctx context.Context, i int) error {
		return publishRetrying(ctx, &republished, func() error {
			return s.publishTo(ctx, fmt.Sprintf("breaker-%d", i), noisyFacility(i%(breakerHealthy+1)))
		})
	})
	if err != nil {
		return nil, err
	}
	fig := &breakerFigures{Breaker: "off", HealthyByStatus: map[string]int{}, DeadByStatus: map[string]int{}}
	if on {
		fig.Breaker = fmt.Sprintf("threshold 5 (default), cooldown %s", cfg.cooldown)
	}
	healthy := 0
	for i := range n {
		if i%(breakerHealthy+1) == breakerDead {
			fig.DeadPublished++
		} else {
			healthy++
		}
	}
	ok := r.rcv.waitFor(healthy, 2*time.Minute)
	// The same span in both runs: the CPU of the dead endpoint's retries
	// counts whether or not the healthy deliveries are done.
	select {
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-time.After(time.Until(sent[len(sent)-1].Add(cfg.settle))):
	}
	cpu := r.cpu(s).since(cpu0)
	elapsed := time.Since(start)
	receipts, _ := r.rcv.snapshot()
	name := breakerOffName
	if on {
		name = breakerOnName
	}
	res := &result{Name: name, Seconds: round2(elapsed.Seconds()), Breaker: fig}
	for i := range n {
		if i%(breakerHealthy+1) == breakerDead {
			continue
		}
		if t, got := receipts[fmt.Sprintf("breaker-%d/w/%d", i, i%(breakerHealthy+1))]; got {
			res.latencies = append(res.latencies, t.Sub(sent[i]))
		}
	}
	res.LatencyMs = latencySummary(res.latencies)
	res.PublishesPerSec = sendRate(sent)
	fig.DeadRequests = r.rcv.badRequests()
	if err := r.breakerCounts(ctx, s, fig, &res.Attempts); err != nil {
		return nil, err
	}
	res.Deliveries = fig.HealthyDelivered
	res.DeliveriesPerSec = perSecond(fig.HealthyDelivered, cfg.duration.Seconds())
	res.CPUSecPer1000 = cpuPer1000(cpu, fig.HealthyDelivered)
	if fig.HealthyDelivered > 0 {
		fig.AttemptsPerHealthy = round2(float64(res.Attempts) / float64(fig.HealthyDelivered))
		fig.CPUMsPerHealthy = round2((cpu.hookflow + cpu.temporal + cpu.postgres) * 1000 / float64(fig.HealthyDelivered))
	}
	// Lost: a healthy delivery that did not succeed, or an event to the dead
	// endpoint that neither failed nor waits in a running workflow.
	res.Lost = healthy - fig.HealthyDelivered + fig.DeadPublished - fig.DeadByStatus["failed"] - fig.DeadWaiting
	res.Notes = fmt.Sprintf("%d events at %.0f/s, one in %d to the dead endpoint; retry schedule %s; breaker %s; measured over %s (publishing + %s); dead deliveries by status %v (%d of them waiting in a running workflow), circuit %q",
		n, cfg.rate, breakerHealthy+1, breakerSchedule, fig.Breaker, elapsed.Round(time.Second), cfg.settle, fig.DeadByStatus, fig.DeadWaiting, fig.Circuit)
	if k := republished.Load(); k > 0 {
		res.Notes += fmt.Sprintf("; %d publishes answered 503 and were sent again with the same id", k)
	}
	if !ok {
		res.Notes += "; timed out waiting for the healthy deliveries"
	}
	return res, nil
}

// publishRetrying does what the API asks of a publisher that gets a 503
// ("retry with the same id"): on a loaded machine starting a delivery can
// outlast the API's deadline, and the run measures the breaker, not that.
func publishRetrying(ctx context.Context, retried *atomic.Int64, publish func() error) error {
	for wait := 250 * time.Millisecond; ; wait *= 2 {
		err := publish()
		if err == nil || !strings.Contains(err.Error(), ": 503 ") || wait > 8*time.Second {
			return err
		}
		retried.Add(1)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// breakerCounts reads the run's attempts and deliveries by status, for the
// healthy webhooks and the dead one, and the dead one's circuit.
func (r *runner) breakerCounts(ctx context.Context, s *stack, fig *breakerFigures, attempts *int) error {
	const dead = `w.url LIKE '%/dead/%'`
	if err := s.pool.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE `+dead+`)
		FROM attempts a JOIN deliveries d ON d.id = a.delivery_id JOIN webhooks w ON w.id = d.webhook_id`).Scan(attempts, &fig.DeadAttempts); err != nil {
		return fmt.Errorf("count attempts: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+dead+`, d.status, count(*)
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id GROUP BY 1, 2`)
	if err != nil {
		return fmt.Errorf("count deliveries: %w", err)
	}
	for rows.Next() {
		var isDead bool
		var status string
		var count int
		if err := rows.Scan(&isDead, &status, &count); err != nil {
			rows.Close()
			return err
		}
		if isDead {
			fig.DeadByStatus[status] = count
		} else {
			fig.HealthyByStatus[status] = count
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	fig.HealthyDelivered = fig.HealthyByStatus["succeeded"]
	if fig.DeadWaiting, err = r.deadWaiting(ctx, s, dead); err != nil {
		return err
	}
	// No row: the endpoint never failed (or the circuit is off and the row
	// is still written; either way the state is what the API shows).
	_ = s.pool.QueryRow(ctx, `SELECT h.state FROM endpoint_health h JOIN webhooks w ON w.id = h.webhook_id WHERE `+dead).Scan(&fig.Circuit)
	return nil
}

// deadWaiting counts the dead endpoint's unfinished deliveries whose
// workflow is running (a status without a workflow would be a dropped one).
func (r *runner) deadWaiting(ctx context.Context, s *stack, dead string) (int, error) {
	rows, err := s.pool.Query(ctx, `SELECT d.id::text FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE `+dead+` AND d.status IN ('pending', 'retrying')`)
	if err != nil {
		return 0, fmt.Errorf("list waiting deliveries: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return 0, err
	}
	var running atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, id := range ids {
		g.Go(func() error {
			d, err := r.temporal.DescribeWorkflowExecution(gctx, "delivery-"+id, "")
			if err != nil {
				return fmt.Errorf("describe delivery-%s: %w", id, err)
			}
			if d.GetWorkflowExecutionInfo().GetStatus() == enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING {
				running.Add(1)
			}
			return nil
		})
	}
	err = g.Wait()
	return int(running.Load()), err
}

// breakerRatios are the run with the breaker over the run without, nil
// unless both ran.
func breakerRatios(results []*result) map[string]float64 {
	var off, on *result
	for _, r := range results {
		switch r.Name {
		case breakerOffName:
			off = r
		case breakerOnName:
			on = r
		}
	}
	if off == nil || on == nil {
		return nil
	}
	a, b := off.Breaker, on.Breaker
	return map[string]float64{
		"deadAttempts":               ratio(float64(b.DeadAttempts), float64(a.DeadAttempts)),
		"attemptsPerHealthyDelivery": ratio(b.AttemptsPerHealthy, a.AttemptsPerHealthy),
		"cpuPerHealthyDelivery":      ratio(b.CPUMsPerHealthy, a.CPUMsPerHealthy),
		"hookflowCPU":                ratio(on.CPUSecPer1000["hookflow"], off.CPUSecPer1000["hookflow"]),
		"temporalCPU":                ratio(on.CPUSecPer1000["temporal"], off.CPUSecPer1000["temporal"]),
		"postgresCPU":                ratio(on.CPUSecPer1000["postgres"], off.CPUSecPer1000["postgres"]),
		"p50":                        ratio(on.LatencyMs["p50"], off.LatencyMs["p50"]),
		"p99":                        ratio(on.LatencyMs["p99"], off.LatencyMs["p99"]),
	}
}

// breakerMarkdown is the breaker runs side by side, and their ratios.
func breakerMarkdown(b *strings.Builder, results []*result, ratios map[string]float64) {
	b.WriteString("\nDead endpoint, breaker off (a) and on (b):\n\n")
	b.WriteString("| run | healthy delivered | dead events | dead attempts | dead requests | attempts/healthy delivery | CPU ms/healthy delivery (hookflow+temporal+postgres) | hookflow, temporal, postgres ms | p50 ms | p99 ms | healthy by status | dead by status | dead waiting (running workflow) | circuit |\n")
	b.WriteString("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	for _, r := range results {
		f := r.Breaker
		if f == nil {
			continue
		}
		fmt.Fprintf(b, "| %s | %d | %d | %d | %d | %.2f | %.2f | %.2f, %.2f, %.2f | %.1f | %.1f | %v | %v | %d | %s |\n", f.Breaker, f.HealthyDelivered, f.DeadPublished,
			f.DeadAttempts, f.DeadRequests, f.AttemptsPerHealthy, f.CPUMsPerHealthy, r.CPUSecPer1000["hookflow"], r.CPUSecPer1000["temporal"], r.CPUSecPer1000["postgres"],
			r.LatencyMs["p50"], r.LatencyMs["p99"], f.HealthyByStatus, f.DeadByStatus, f.DeadWaiting, f.Circuit)
	}
	if ratios != nil {
		fmt.Fprintf(b, "\n(b)/(a): dead attempts %.3f, attempts per healthy delivery %.3f, CPU per healthy delivery %.3f (hookflow %.3f, temporal %.3f, postgres %.3f), p50 %.3f, p99 %.3f.\n",
			ratios["deadAttempts"], ratios["attemptsPerHealthyDelivery"], ratios["cpuPerHealthyDelivery"], ratios["hookflowCPU"], ratios["temporalCPU"], ratios["postgresCPU"], ratios["p50"], ratios["p99"])
	}
}
