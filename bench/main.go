// Command bench measures Hookflow end to end on this machine: it starts
// `hookflow serve` on the local PostgreSQL and Temporal dev server, a local
// receiver, and runs the scenarios of the benchmark issue. `make bench`.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"os/exec"
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
	portRange    string
	temporalPort int
	temporalBin  string
	temporalDyn  string
	workers      int
	floorAttrs   int
	floorUpsert  bool
	// profileSeconds > 0 profiles Hookflow and Temporal during the floor and
	// the bursts.
	profileSeconds int
	noisy          noisyConfig
	breaker        breakerConfig
	soak           soakConfig
	// stack is where the scenarios run: dev (a Temporal dev server) or prod
	// (scripts/prod-stack.sh's server on PostgreSQL behind mTLS).
	stack string
}

type runner struct {
	cfg         benchConfig
	stamp       string
	temporalPID int
	temporalDir string // the benchmark's own dev server's store, "" on a shared one
	postmaster  int
	// temporalPostmaster is Temporal's own PostgreSQL cluster (-stack prod),
	// counted with PostgreSQL's CPU and memory.
	temporalPostmaster int
	rcv                *receiver
	temporal           client.Client
	logger             *slog.Logger
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
	flag.StringVar(&cfg.portRange, "ports", "", "first-last: listen addresses for Hookflow and the receiver from this range (a shared machine); any free port when empty")
	flag.StringVar(&cfg.temporalBin, "temporal-bin", "", "Temporal CLI for the benchmark's own dev server; bin/temporal when empty")
	flag.StringVar(&cfg.temporalDyn, "temporal-dynamic-config", "", "extra dynamic configuration of the benchmark's dev server, space-separated KEY=VALUE (experiments)")
	flag.IntVar(&cfg.temporalPort, "temporal-port", 7243, "port of the benchmark's own Temporal dev server (its UI on the next port)")
	flag.IntVar(&cfg.floorAttrs, "floor-attributes", -1, "search attributes the floor's workflows start with: the first k of a delivery's; all of them when negative")
	flag.BoolVar(&cfg.floorUpsert, "floor-upsert", true, "the floor's workflows make a delivery's final search attribute upsert")
	flag.IntVar(&cfg.profileSeconds, "profile", 0, "seconds of CPU profile of hookflow (pprof) and the dev server (perf) taken from the start of the floor and the bursts; off when 0 (a profiled run's figures are not comparable)")
	flag.IntVar(&cfg.workers, "workers", 2, "worker processes beside one api process in the scale-out burst")
	flag.Float64Var(&cfg.noisy.rate, "noisy-rate", 100, "events per second in the noisy-neighbour runs")
	flag.DurationVar(&cfg.noisy.duration, "noisy-duration", 60*time.Second, "length of each noisy-neighbour run")
	flag.DurationVar(&cfg.noisy.deliveryTimeout, "noisy-delivery-timeout", 0, "HOOKFLOW_DELIVERY_TIMEOUT of the noisy-neighbour runs; the product's default (15s) when 0")
	flag.Float64Var(&cfg.breaker.rate, "breaker-rate", 20, "events per second in each breaker run (one in five to the dead endpoint)")
	flag.DurationVar(&cfg.breaker.duration, "breaker-duration", 30*time.Second, "publishing time of each breaker run")
	flag.DurationVar(&cfg.breaker.settle, "breaker-settle", 20*time.Second, "how long each breaker run keeps measuring after the last publish (at least the retry schedule's 9s)")
	flag.DurationVar(&cfg.breaker.cooldown, "breaker-cooldown", 5*time.Second, "HOOKFLOW_CIRCUIT_COOLDOWN of the run with the breaker on")
	flag.Float64Var(&cfg.soak.rate, "soak-rate", 100, "events per second in the soak")
	flag.DurationVar(&cfg.soak.duration, "soak-duration", 10*time.Minute, "length of the soak")
	flag.DurationVar(&cfg.soak.retention, "soak-retention", 2*time.Minute, "HOOKFLOW_LOG_RETENTION during the soak, so that the purge deletes rows while it runs")
	flag.DurationVar(&cfg.soak.purgeEvery, "soak-purge-every", time.Minute, "how often the soak triggers the retention schedule (what `hookflow purge` does)")
	flag.StringVar(&cfg.only, "only", "", "comma-separated scenarios to run (floor,burst,scaleout,paced,noisy,breaker,fanout,filter,storm,soak,logs,limit); all when empty")
	flag.StringVar(&cfg.stack, "stack", "dev", "dev: the scenarios on a Temporal dev server; prod: on the stack of `make prod-up` (the Temporal server on PostgreSQL behind mTLS), with the exports of scripts/prod-stack.sh env")
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
	r := &runner{cfg: cfg, logger: logger, stamp: stamp}
	var prod *prodStack
	switch cfg.stack {
	case "dev":
	case "prod":
		var err error
		if prod, err = loadProdStack(); err != nil {
			return err
		}
		cfg.fresh, cfg.temporal, cfg.databaseURL = false, prod.temporal, prod.databaseURL
		r.temporalPID, r.temporalPostmaster = prod.serverPID, prod.temporalPostmaster(ctx)
		r.cfg = cfg
	default:
		return fmt.Errorf("-stack %q: want dev or prod", cfg.stack)
	}
	connection := client.ConnectionOptions{GrpcCompression: &client.GrpcCompressionNone{}}
	if prod != nil {
		connection.TLS = prod.tls
	}
	if cfg.fresh {
		dir, err := filepath.Abs(filepath.Join(cfg.out, stamp+"-temporal"))
		if err != nil {
			return err
		}
		addr, pid, stopTemporal, err := startTemporal(ctx, dir, cfg.temporalPort, cfg.temporalBin, cfg.temporalDyn)
		if err != nil {
			return err
		}
		defer stopTemporal()
		cfg.temporal, r.temporalPID, r.temporalDir = addr, pid, dir
		r.cfg = cfg
	}
	// The floor's worker runs on this client: uncompressed, as Hookflow's is
	// by default (HOOKFLOW_TEMPORAL_GZIP).
	tc, err := client.DialContext(ctx, client.Options{HostPort: cfg.temporal, Logger: sdklog.NewStructuredLogger(logger),
		ConnectionOptions: connection})
	if err != nil {
		return fmt.Errorf("connect to Temporal: %w", err)
	}
	defer tc.Close()
	r.temporal = tc
	pp, err := newPorts(cfg.portRange)
	if err != nil {
		return err
	}
	rcvAddr, err := pp.addr()
	if err != nil {
		return err
	}
	if r.rcv, err = newReceiver(rcvAddr); err != nil {
		return err
	}
	logDir := filepath.Join(cfg.out, stamp+"-logs")
	if err := os.MkdirAll(logDir, 0o755); err != nil {
		return err
	}
	sc := stackConfig{binary: cfg.binary, baseURL: cfg.databaseURL, temporal: cfg.temporal, retrySchedule: "5s,5m,30m,2h,5h,10h,10h", logDir: logDir, http: newHTTPClient(), keepData: cfg.keepData, ports: pp,
		profile: cfg.profileSeconds > 0}
	if prod != nil {
		sc.env = append(sc.env, prod.env...)
	}
	if admin, err := adminURL(cfg.databaseURL); err == nil {
		r.postmaster = findPostmaster(ctx, admin)
	}

	var results []*result
	version := temporalVersion(ctx, cfg.temporalBin)
	if prod != nil {
		version = "Temporal server v1.29.1 (scripts/prod-stack.sh: PostgreSQL, mTLS)"
	}
	scenario := func(st step) error {
		if !cfg.wants(st.name) {
			return nil
		}
		fmt.Fprintf(os.Stderr, "bench: %s...\n", st.name)
		var s *stack
		if st.stack != nil {
			c := sc
			st.stack(&c)
			var err error
			if s, err = startStack(ctx, c, st.name); err != nil {
				return fmt.Errorf("%s: %w", st.name, err)
			}
			defer s.stop(context.WithoutCancel(ctx))
		}
		res, err := st.run(s)
		if err != nil {
			return fmt.Errorf("%s: %w", st.name, err)
		}
		results = append(results, res)
		// Written after every scenario, so that a late failure keeps the rest.
		return writeReport(cfg, stamp, version, results, false)
	}
	for _, st := range r.steps(ctx) {
		if err := scenario(st); err != nil {
			return err
		}
	}
	return writeReport(cfg, stamp, version, results, true)
}

// temporalVersion is what the CLI that runs the dev server says it is.
func temporalVersion(ctx context.Context, bin string) string {
	if bin == "" {
		bin = "bin/temporal"
	}
	out, err := exec.CommandContext(ctx, bin, "--version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

// step is one scenario: run gets a fresh stack configured by stack, or none
// when stack is nil (the engine's floor, the direct POST limit).
type step struct {
	name  string
	stack func(*stackConfig)
	run   func(*stack) (*result, error)
}

func (r *runner) steps(ctx context.Context) []step {
	plain := func(*stackConfig) {}
	retries := func(schedule string) func(*stackConfig) {
		return func(c *stackConfig) { c.retrySchedule = schedule }
	}
	noisy := func(c *stackConfig) {
		if r.cfg.noisy.deliveryTimeout > 0 {
			c.env = append(c.env, "HOOKFLOW_DELIVERY_TIMEOUT="+r.cfg.noisy.deliveryTimeout.String())
		}
	}
	return []step{
		{"floor", nil, func(*stack) (*result, error) { return r.floor(ctx, false) }},
		{"floor", nil, func(*stack) (*result, error) { return r.floor(ctx, true) }},
		{"burst", plain, func(s *stack) (*result, error) { return r.burst(ctx, s, "burst") }},
		{"scaleout", func(c *stackConfig) { c.workers = r.cfg.workers }, func(s *stack) (*result, error) {
			return r.burst(ctx, s, fmt.Sprintf("burst, api + %d workers", r.cfg.workers))
		}},
		{"paced", plain, func(s *stack) (*result, error) { return r.paced(ctx, s) }},
		{"noisy", noisy, func(s *stack) (*result, error) { return r.noisyNeighbour(ctx, s, false) }},
		{"noisy", noisy, func(s *stack) (*result, error) { return r.noisyNeighbour(ctx, s, true) }},
		{"breaker", r.breakerStack(false), func(s *stack) (*result, error) { return r.breakerRun(ctx, s, false) }},
		{"breaker", r.breakerStack(true), func(s *stack) (*result, error) { return r.breakerRun(ctx, s, true) }},
		{"fanout", plain, func(s *stack) (*result, error) { return r.fanOut(ctx, s, "fan-out 1x100", 100, 1) }},
		{"fanout", plain, func(s *stack) (*result, error) { return r.fanOut(ctx, s, "fan-out 200x10", 10, 200) }},
		{"filter", plain, func(s *stack) (*result, error) { return r.fanOut(ctx, s, "fan-out 200x10", 10, 200) }},
		{"filter", plain, func(s *stack) (*result, error) { return r.filtered(ctx, s) }},
		{"storm", retries("1s,2s,4s,4s,4s,4s,4s,4s"), func(s *stack) (*result, error) { return r.retryStorm(ctx, s) }},
		{"soak", func(c *stackConfig) { c.env = append(c.env, "HOOKFLOW_LOG_RETENTION="+r.cfg.soak.retention.String()) },
			func(s *stack) (*result, error) { return r.soak(ctx, s) }},
		{"logs", plain, func(s *stack) (*result, error) { return r.logSearch(ctx, s) }},
		{"limit", nil, func(*stack) (*result, error) { return r.limit(ctx) }},
	}
}

// adminURL is the maintenance database on the same server.
func adminURL(databaseURL string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", err
	}
	u.Path = "/postgres"
	return u.String(), nil
}

// startTemporal runs a dev server of the benchmark's own, the way `make run`
// does (scripts/services.sh), on a new on-disk store in dir.
func startTemporal(ctx context.Context, dir string, port int, bin, dynamicConfig string) (addr string, pid int, stop func(), err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", 0, nil, err
	}
	env := append(os.Environ(),
		"HOOKFLOW_TEMPORAL_PORT="+strconv.Itoa(port), "HOOKFLOW_TEMPORAL_UI_PORT="+strconv.Itoa(port+1),
		"HOOKFLOW_TEMPORAL_DB="+filepath.Join(dir, "temporal.db"),
		"HOOKFLOW_TEMPORAL_PID="+filepath.Join(dir, "temporal.pid"),
		"HOOKFLOW_TEMPORAL_LOG="+filepath.Join(dir, "temporal.log"),
		"HOOKFLOW_TEMPORAL_DYNAMIC_CONFIG="+dynamicConfig)
	if bin != "" {
		abs, err := filepath.Abs(bin)
		if err != nil {
			return "", 0, nil, err
		}
		env = append(env, "HOOKFLOW_TEMPORAL_BIN="+abs)
	}
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
	return "127.0.0.1:" + strconv.Itoa(port), pid, stop, nil
}
