// Command bench measures Hookflow end to end on this machine: it starts
// `hookflow serve` on the local PostgreSQL and Temporal dev server, a local
// receiver, and runs the scenarios of the benchmark issue. `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"
)

type benchConfig struct {
	binary       string
	databaseURL  string
	temporal     string
	out          string
	events       int
	concurrency  int
	rate         float64
	duration     time.Duration
	stormEvents  int
	stormOutage  time.Duration
	logAttempts  int
	searchRounds int
	only         string
	fresh        bool
	keepData     bool
}

type runner struct {
	cfg         benchConfig
	temporalPID int
	rcv         *receiver
	temporal    client.Client
	logger      *slog.Logger
}

func main() {
	var cfg benchConfig
	flag.StringVar(&cfg.binary, "binary", "bin/hookflow", "hookflow binary")
	flag.StringVar(&cfg.databaseURL, "database-url", envOr("HOOKFLOW_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/hookflow?sslmode=disable"), "PostgreSQL server to create bench databases on")
	flag.StringVar(&cfg.temporal, "temporal", envOr("HOOKFLOW_TEMPORAL_ADDRESS", "127.0.0.1:7233"), "Temporal frontend")
	flag.StringVar(&cfg.out, "out", "bench/results", "directory for JSON, Markdown and PNG results")
	flag.IntVar(&cfg.events, "n", 2000, "events in the burst (and POSTs in the limit run)")
	flag.IntVar(&cfg.concurrency, "concurrency", 16, "concurrent publishers")
	flag.Float64Var(&cfg.rate, "rate", 100, "events per second in the paced run")
	flag.DurationVar(&cfg.duration, "duration", 30*time.Second, "length of the paced run")
	flag.IntVar(&cfg.stormEvents, "storm-events", 500, "events in the retry storm")
	flag.DurationVar(&cfg.stormOutage, "storm-outage", 10*time.Second, "how long the receiver answers 500 in the retry storm")
	flag.IntVar(&cfg.logAttempts, "log-attempts", 1_000_000, "attempt rows loaded for the log search")
	flag.IntVar(&cfg.searchRounds, "search-rounds", 25, "rounds of log search queries")
	flag.BoolVar(&cfg.fresh, "fresh-temporal", true, "run the scenarios on a Temporal dev server of their own, on a new on-disk store, so figures do not drift as the shared store grows")
	flag.BoolVar(&cfg.keepData, "keep-data", false, "keep each scenario's database for inspection")
	flag.StringVar(&cfg.only, "only", "", "comma-separated scenarios to run (burst,paced,fanout,storm,logs,limit); all when empty")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}

func (c benchConfig) wants(name string) bool {
	if c.only == "" {
		return true
	}
	for _, n := range strings.Split(c.only, ",") {
		if strings.TrimSpace(n) == name {
			return true
		}
	}
	return false
}

func run(ctx context.Context, cfg benchConfig) error {
	if err := os.MkdirAll(cfg.out, 0o755); err != nil {
		return err
	}
	logger := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	stamp := time.Now().UTC().Format("20060102-150405")
	temporalPID := 0
	if cfg.fresh {
		dir, err := filepath.Abs(filepath.Join(cfg.out, stamp+"-temporal"))
		if err != nil {
			return err
		}
		addr, pid, stopTemporal, err := startTemporal(ctx, dir)
		if err != nil {
			return err
		}
		defer stopTemporal()
		cfg.temporal, temporalPID = addr, pid
	}
	tc, err := client.DialContext(ctx, client.Options{HostPort: cfg.temporal, Logger: sdklog.NewStructuredLogger(logger)})
	if err != nil {
		return fmt.Errorf("connect to Temporal: %w", err)
	}
	defer tc.Close()
	rcv, err := newReceiver()
	if err != nil {
		return err
	}
	r := &runner{cfg: cfg, rcv: rcv, temporal: tc, logger: logger, temporalPID: temporalPID}
	logDir := filepath.Join(cfg.out, stamp+"-logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	sc := stackConfig{binary: cfg.binary, baseURL: cfg.databaseURL, temporal: cfg.temporal, retrySchedule: "5s,5m,30m,2h,5h,10h,10h", logDir: logDir, http: newHTTPClient(), keepData: cfg.keepData}

	var results []*result
	scenario := func(name, schedule string, fn func(*stack) (*result, error)) error {
		if !cfg.wants(name) {
			return nil
		}
		fmt.Fprintf(os.Stderr, "bench: %s...\n", name)
		c := sc
		if schedule != "" {
			c.retrySchedule = schedule
		}
		s, err := startStack(ctx, c, strings.ReplaceAll(name, " ", "_"))
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		defer s.stop(context.WithoutCancel(ctx))
		res, err := fn(s)
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		results = append(results, res)
		return nil
	}
	steps := []struct {
		name, schedule string
		fn             func(*stack) (*result, error)
	}{
		{"burst", "", func(s *stack) (*result, error) { return r.burst(ctx, s) }},
		{"paced", "", func(s *stack) (*result, error) { return r.paced(ctx, s) }},
		{"fanout", "", func(s *stack) (*result, error) { return r.fanOut(ctx, s, "fan-out 1x100", 100, 1) }},
		{"fanout", "", func(s *stack) (*result, error) { return r.fanOut(ctx, s, "fan-out 200x10", 10, 200) }},
		{"storm", "1s,2s,4s,4s,4s,4s,4s,4s", func(s *stack) (*result, error) { return r.retryStorm(ctx, s) }},
		{"logs", "", func(s *stack) (*result, error) { return r.logSearch(ctx, s) }},
	}
	for _, st := range steps {
		if err := scenario(st.name, st.schedule, st.fn); err != nil {
			return err
		}
	}
	if cfg.wants("limit") {
		fmt.Fprintln(os.Stderr, "bench: limit...")
		res, err := r.limit(ctx)
		if err != nil {
			return err
		}
		results = append(results, res)
	}
	return writeReport(cfg, stamp, results)
}

// startTemporal runs a dev server of the benchmark's own, the way `make run`
// does (scripts/services.sh), on a new on-disk store in dir.
func startTemporal(ctx context.Context, dir string) (addr string, pid int, stop func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, nil, err
	}
	env := append(os.Environ(),
		"HOOKFLOW_TEMPORAL_PORT=7243", "HOOKFLOW_TEMPORAL_UI_PORT=8243",
		"HOOKFLOW_TEMPORAL_DB="+filepath.Join(dir, "temporal.db"),
		"HOOKFLOW_TEMPORAL_PID="+filepath.Join(dir, "temporal.pid"),
		"HOOKFLOW_TEMPORAL_LOG="+filepath.Join(dir, "temporal.log"))
	script := "scripts/services.sh"
	if out, err := runWithEnv(ctx, env, script, "temporal-up"); err != nil {
		return "", 0, nil, fmt.Errorf("start the benchmark's Temporal: %w\n%s", err, out)
	}
	raw, err := os.ReadFile(filepath.Join(dir, "temporal.pid"))
	if err != nil {
		return "", 0, nil, err
	}
	pid, _ = strconv.Atoi(strings.TrimSpace(string(raw)))
	stop = func() {
		_, _ = runWithEnv(context.Background(), env, script, "temporal-down")
		_ = os.RemoveAll(dir)
	}
	return "127.0.0.1:7243", pid, stop, nil
}
