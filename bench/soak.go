package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/worker"
)

type soakConfig struct {
	rate       float64
	duration   time.Duration
	retention  time.Duration
	purgeEvery time.Duration
}

// soakFigures are the long run's own figures beside its result row.
type soakFigures struct {
	P99PerMinuteMs []float64 `json:"p99PerMinuteMs"`
	// Memory in MB at the start and the end: RSS of Hookflow and the Temporal
	// dev server, PSS of PostgreSQL's processes (shared buffers counted once).
	MemoryStartMB map[string]float64 `json:"memoryStartMB"`
	MemoryEndMB   map[string]float64 `json:"memoryEndMB"`
	// Store growth per 1000 deliveries: the dev server's SQLite files, and
	// PostgreSQL's tables with their indexes and TOAST (after the purge).
	TemporalStoreBytesPer1000 float64 `json:"temporalStoreBytesPer1000Deliveries,omitempty"`
	// TemporalDBBytes and TemporalWALBytes are the SQLite files at the end:
	// the WAL only shrinks at a checkpoint, which a busy server may defer.
	TemporalDBBytes      int64        `json:"temporalDatabaseBytesEnd,omitempty"`
	TemporalWALBytes     int64        `json:"temporalWALBytesEnd,omitempty"`
	PostgresBytesPer1000 float64      `json:"postgresTableBytesPer1000Deliveries"`
	PostgresBytesStart   int64        `json:"postgresTableBytesStart"`
	PostgresBytesEnd     int64        `json:"postgresTableBytesEnd"`
	DeliveriesKept       int          `json:"deliveriesKeptAfterPurges"`
	PurgesTriggered      int          `json:"purgesTriggered"`
	Samples              []soakSample `json:"samples"`
}

// soakSample is one point of the plot: p99 of the events sent in the 10 s
// before At, and memory at At.
type soakSample struct {
	At         float64 `json:"atSeconds"`
	P99Ms      float64 `json:"p99Ms"`
	HookflowMB float64 `json:"hookflowMB"`
	TemporalMB float64 `json:"temporalMB"`
	PostgresMB float64 `json:"postgresMB"`
}

const soakWindow = 10 * time.Second

// soak publishes at a steady rate for a long time with the retention purge
// firing: latency per minute should stay flat, memory should not creep.
func (r *runner) soak(ctx context.Context, s *stack) (*result, error) {
	if err := s.createWebhooks(ctx, r.rcv.url, 1); err != nil {
		return nil, err
	}
	r.rcv.reset()
	cfg := r.cfg.soak
	n := int(cfg.rate * cfg.duration.Seconds())
	fig := &soakFigures{}
	var err error
	if fig.PostgresBytesStart, err = tableBytes(ctx, s); err != nil {
		return nil, err
	}
	store0 := r.temporalStoreBytes()
	cpu0 := r.cpu(s)
	start := time.Now()

	var mu sync.Mutex
	var mem []memSample
	var memAt []time.Duration
	loadCtx, stopLoad := context.WithCancel(ctx)
	var bg sync.WaitGroup
	bg.Add(2)
	go func() { // memory every 5 s
		defer bg.Done()
		for {
			m := sampleMemory(r.procs(s))
			mu.Lock()
			mem, memAt = append(mem, m), append(memAt, time.Since(start))
			mu.Unlock()
			select {
			case <-loadCtx.Done():
				return
			case <-time.After(5 * time.Second):
			}
		}
	}()
	var purgeErr error
	go func() { // the retention purge, the way `hookflow purge` starts it
		defer bg.Done()
		for {
			select {
			case <-loadCtx.Done():
				return
			case <-time.After(cfg.purgeEvery):
			}
			err := r.temporal.ScheduleClient().GetHandle(loadCtx, worker.RetentionScheduleID(s.queue)).Trigger(loadCtx, client.ScheduleTriggerOptions{})
			mu.Lock()
			if err != nil && loadCtx.Err() == nil {
				purgeErr = err
			} else if err == nil {
				fig.PurgesTriggered++
			}
			mu.Unlock()
		}
	}()
	sent, err := pace(ctx, cfg.rate, n, func(ctx context.Context, i int) error { return s.publish(ctx, fmt.Sprintf("soak-%d", i)) })
	if err != nil {
		stopLoad()
		bg.Wait()
		return nil, err
	}
	ok := r.rcv.waitFor(n, 2*time.Minute)
	stopLoad()
	bg.Wait()
	if purgeErr != nil {
		return nil, fmt.Errorf("trigger the retention purge: %w", purgeErr)
	}
	receipts, _ := r.rcv.snapshot()
	last := lastReceipt(receipts, start)
	lat := make([]time.Duration, n) // -1: never arrived
	res := &result{Name: fmt.Sprintf("soak: %.0f events/s for %s", cfg.rate, cfg.duration), Seconds: round2(last.Sub(start).Seconds())}
	for i := range n {
		lat[i] = -1
		if t, got := receipts[fmt.Sprintf("soak-%d/w/0", i)]; got {
			lat[i] = t.Sub(sent[i])
			res.latencies = append(res.latencies, lat[i])
		}
	}
	res.Deliveries, res.Lost = len(res.latencies), n-len(res.latencies)
	res.LatencyMs = latencySummary(res.latencies)
	res.DeliveriesPerSec = perSecond(res.Deliveries, cfg.duration.Seconds())
	res.PublishesPerSec = sendRate(sent)
	res.CPUSecPer1000 = cpuPer1000(r.cpu(s).since(cpu0), res.Deliveries)
	fig.P99PerMinuteMs = windowP99(sent, lat, start, time.Minute)
	p99s := windowP99(sent, lat, start, soakWindow)
	for i, m := range mem {
		at := memAt[i]
		sample := soakSample{At: round2(at.Seconds()), HookflowMB: mb(m.hookflow), TemporalMB: mb(m.temporal), PostgresMB: mb(m.postgres)}
		if w := int(at/soakWindow) - 1; w >= 0 && w < len(p99s) {
			sample.P99Ms = p99s[w]
		}
		fig.Samples = append(fig.Samples, sample)
	}
	if len(mem) > 0 {
		first, lastMem := mem[0], sampleMemory(r.procs(s))
		fig.MemoryStartMB = map[string]float64{"hookflow": mb(first.hookflow), "temporal": mb(first.temporal), "postgres": mb(first.postgres)}
		fig.MemoryEndMB = map[string]float64{"hookflow": mb(lastMem.hookflow), "temporal": mb(lastMem.temporal), "postgres": mb(lastMem.postgres)}
	}
	if fig.PostgresBytesEnd, err = tableBytes(ctx, s); err != nil {
		return nil, err
	}
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries`).Scan(&fig.DeliveriesKept); err != nil {
		return nil, err
	}
	if res.Deliveries > 0 {
		k := 1000 / float64(res.Deliveries)
		fig.PostgresBytesPer1000 = round2(float64(fig.PostgresBytesEnd-fig.PostgresBytesStart) * k)
		if store0 > 0 {
			fig.TemporalStoreBytesPer1000 = round2(float64(r.temporalStoreBytes()-store0) * k)
			fig.TemporalDBBytes = fileSize(filepath.Join(r.temporalDir, "temporal.db"))
			fig.TemporalWALBytes = fileSize(filepath.Join(r.temporalDir, "temporal.db-wal"))
		}
	}
	res.Soak = fig
	res.Notes = fmt.Sprintf("HOOKFLOW_LOG_RETENTION=%s, retention schedule triggered every %s (%d times); %d of %d deliveries left after the purges",
		cfg.retention, cfg.purgeEvery, fig.PurgesTriggered, fig.DeliveriesKept, n)
	if !ok {
		res.Notes += "; timed out waiting for deliveries"
	}
	res.HistoryEvents = r.historyEvents(ctx, s, 50)
	return res, nil
}

// windowP99 is the p99 latency of the events sent in each window from start;
// a lost event counts as the slowest.
func windowP99(sent []time.Time, lat []time.Duration, start time.Time, window time.Duration) []float64 {
	var buckets [][]time.Duration
	for i, t := range sent {
		if t.IsZero() {
			continue
		}
		w := int(t.Sub(start) / window)
		for len(buckets) <= w {
			buckets = append(buckets, nil)
		}
		l := lat[i]
		if l < 0 {
			l = time.Hour
		}
		buckets[w] = append(buckets[w], l)
	}
	out := make([]float64, len(buckets))
	for i, b := range buckets {
		sort.Slice(b, func(x, y int) bool { return b[x] < b[y] })
		out[i] = percentile(b, 99)
	}
	return out
}

// tableBytes is the size of the stack database's tables with their indexes.
func tableBytes(ctx context.Context, s *stack) (int64, error) {
	var n int64
	err := s.pool.QueryRow(ctx, `SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0)::bigint
		FROM pg_class c JOIN pg_namespace ns ON ns.oid = c.relnamespace
		WHERE ns.nspname = 'public' AND c.relkind = 'r'`).Scan(&n)
	if err != nil {
		return 0, fmt.Errorf("table sizes: %w", err)
	}
	return n, nil
}

// temporalStoreBytes is the size of the benchmark's dev server's SQLite
// files (database and WAL), 0 on a shared server.
func (r *runner) temporalStoreBytes() int64 {
	if r.temporalDir == "" {
		return 0
	}
	files, _ := filepath.Glob(filepath.Join(r.temporalDir, "temporal.db*"))
	var total int64
	for _, f := range files {
		if st, err := os.Stat(f); err == nil {
			total += st.Size()
		}
	}
	return total
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}

func mb(b float64) float64 { return round2(b / (1 << 20)) }
