package main

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookflow/hookflow/auth"
)

const jwtSecret = "hookflow-bench-secret-that-is-long-enough"

// stack is Hookflow on a database of its own: one `hookflow serve`, or one
// `hookflow api` and some `hookflow worker` processes.
type stack struct {
	procs  []*exec.Cmd
	url    string
	pool   *pgxpool.Pool
	dbName string
	admin  string
	token  string
	queue  string
	pprof  string // the profiler's address of serve or api, when asked
	http   *http.Client
	keep   bool // leave the database for inspection
}

type stackConfig struct {
	binary        string
	baseURL       string // HOOKFLOW_DATABASE_URL of the server to create databases on
	temporal      string
	retrySchedule string
	logDir        string
	http          *http.Client
	keepData      bool
	ports         *ports
	// workers > 0 runs `api` and that many `worker` processes instead of `serve`.
	workers int
	// env adds HOOKFLOW_* settings of one scenario (a shorter retention...).
	env []string
	// profile turns on the profiler of serve (or api).
	profile bool
}

// facilities the benchmark's token may publish to and subscribe on.
func benchFacilities() []string {
	var out []string
	for i := range 10 {
		out = append(out, fmt.Sprintf("F-%d", i))
	}
	for i := range noisyWebhooks {
		out = append(out, noisyFacility(i))
	}
	return out
}

// startStack creates a fresh database and starts Hookflow on it.
func startStack(ctx context.Context, c stackConfig, name string) (*stack, error) {
	u, err := url.Parse(c.baseURL)
	if err != nil {
		return nil, fmt.Errorf("parse database URL: %w", err)
	}
	s := &stack{http: c.http, keep: c.keepData, dbName: fmt.Sprintf("hookflow_bench_%s_%d", name, time.Now().UnixNano()%1_000_000), queue: "bench-" + name}
	admin := *u
	admin.Path = "/postgres"
	s.admin = admin.String()
	conn, err := pgx.Connect(ctx, s.admin)
	if err != nil {
		return nil, fmt.Errorf("connect to PostgreSQL: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{s.dbName}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database: %w", err)
	}
	dbURL := *u
	dbURL.Path = "/" + s.dbName
	env := append(os.Environ(),
		"HOOKFLOW_DATABASE_URL="+dbURL.String(),
		"HOOKFLOW_TEMPORAL_ADDRESS="+c.temporal,
		"HOOKFLOW_TASK_QUEUE="+s.queue,
		"HOOKFLOW_JWT_SECRET="+jwtSecret,
		// Development: plain-http receivers on loopback, refused in production.
		"HOOKFLOW_ENV=development",
		"HOOKFLOW_ALLOW_INSECURE_URLS=true",
		"HOOKFLOW_ALLOW_PRIVATE_TARGETS=true",
		"HOOKFLOW_RETRY_SCHEDULE="+c.retrySchedule,
		"HOOKFLOW_MAX_PAYLOAD_BYTES=1048576",
		// The scenarios drive one publisher and one client at the engine's
		// floor: tenant limits would measure themselves, not the engine.
		"HOOKFLOW_RATE_LIMIT=off",
		"HOOKFLOW_PUBLISH_RATE_LIMIT=off",
		"HOOKFLOW_MAX_WEBHOOKS_PER_CLIENT=100000",
		"HOOKFLOW_MAX_FANOUT_PER_PUBLISH=100000",
	)
	env = append(env, c.env...)
	if out, err := runWithEnv(ctx, env, c.binary, "migrate"); err != nil {
		return nil, fmt.Errorf("migrate: %w\n%s", err, out)
	}
	roles := []string{"serve"}
	if c.workers > 0 {
		roles = []string{"api"}
		for range c.workers {
			roles = append(roles, "worker")
		}
	}
	for i, role := range roles {
		addr, err := c.ports.addr()
		if err != nil {
			s.stop(ctx)
			return nil, err
		}
		procEnv := env
		if c.profile && i == 0 {
			if s.pprof, err = c.ports.addr(); err != nil {
				s.stop(ctx)
				return nil, err
			}
			procEnv = append(append([]string(nil), env...), "HOOKFLOW_PPROF_ADDR="+s.pprof)
		}
		cmd, err := startProcess(c, procEnv, addr, fmt.Sprintf("%s-%s-%d.log", name, role, i), role)
		if err != nil {
			s.stop(ctx)
			return nil, err
		}
		s.procs = append(s.procs, cmd)
		// A lone worker serves only /metrics on its address.
		ready := "/healthcheck"
		if role == "worker" {
			ready = "/metrics"
		} else {
			s.url = "http://" + addr
		}
		if err := waitReady(ctx, "http://"+addr+ready); err != nil {
			s.stop(ctx)
			return nil, fmt.Errorf("hookflow %s: %w", role, err)
		}
	}
	if s.pool, err = pgxpool.New(ctx, dbURL.String()); err != nil {
		s.stop(ctx)
		return nil, err
	}
	s.token, err = auth.Mint(auth.Keys{Secret: []byte(jwtSecret)}, auth.Principal{
		Subject: "bench", ClientID: "bench-client", Facilities: benchFacilities(),
		Roles: []auth.Role{auth.RoleIntegrator, auth.RolePublisher},
	}, 12*time.Hour, time.Now())
	return s, err
}

func startProcess(c stackConfig, env []string, addr, logName, role string) (*exec.Cmd, error) {
	// Appended to: two runs of one scenario (noisy, breaker) share a name.
	logFile, err := os.OpenFile(filepath.Join(c.logDir, logName), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.binary, role)
	cmd.Env = append(env, "HOOKFLOW_HTTP_ADDR="+addr, "GOMAXPROCS=2")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start hookflow %s: %w", role, err)
	}
	return cmd, nil
}

func runWithEnv(ctx context.Context, env []string, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitReady polls url until it answers 200.
func waitReady(ctx context.Context, url string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(url)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s did not answer 200 within 60s", url)
}

// stop ends the processes and drops the database.
func (s *stack) stop(ctx context.Context) {
	if s.pool != nil {
		s.pool.Close()
	}
	for _, cmd := range s.procs {
		_ = cmd.Process.Signal(os.Interrupt)
	}
	for _, cmd := range s.procs {
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
		}
	}
	if s.keep {
		fmt.Fprintf(os.Stderr, "bench: kept database %s\n", s.dbName)
		return
	}
	if conn, err := pgx.Connect(ctx, s.admin); err == nil {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{s.dbName}.Sanitize()+" WITH (FORCE)")
		conn.Close(ctx)
	}
}

// pids are the stack's Hookflow processes.
func (s *stack) pids() []int {
	out := make([]int, len(s.procs))
	for i, cmd := range s.procs {
		out[i] = cmd.Process.Pid
	}
	return out
}
