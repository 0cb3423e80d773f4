package main

import (
	"context"
	"fmt"
	"net"
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

// stack is one `hookflow serve` on a database of its own.
type stack struct {
	cmd    *exec.Cmd
	url    string
	pool   *pgxpool.Pool
	dbName string
	admin  string
	token  string
	queue  string
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
}

func freePort() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// startStack creates a fresh database and starts `hookflow serve` on it.
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
	addr, err := freePort()
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(),
		"HOOKFLOW_DATABASE_URL="+dbURL.String(),
		"HOOKFLOW_TEMPORAL_ADDRESS="+c.temporal,
		"HOOKFLOW_HTTP_ADDR="+addr,
		"HOOKFLOW_TASK_QUEUE="+s.queue,
		"HOOKFLOW_JWT_SECRET="+jwtSecret,
		"HOOKFLOW_ALLOW_INSECURE_URLS=true",
		"HOOKFLOW_ALLOW_PRIVATE_TARGETS=true",
		"HOOKFLOW_RETRY_SCHEDULE="+c.retrySchedule,
		"HOOKFLOW_MAX_PAYLOAD_BYTES=1048576",
	)
	if out, err := runWithEnv(ctx, env, c.binary, "migrate"); err != nil {
		return nil, fmt.Errorf("migrate: %w\n%s", err, out)
	}
	logFile, err := os.Create(filepath.Join(c.logDir, name+"-serve.log"))
	if err != nil {
		return nil, err
	}
	s.cmd = exec.Command(c.binary, "serve")
	s.cmd.Env = append(env, "GOMAXPROCS=2")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		return nil, fmt.Errorf("start hookflow serve: %w", err)
	}
	s.url = "http://" + addr
	if err := waitHealthy(ctx, s.url); err != nil {
		s.stop(ctx)
		return nil, err
	}
	if s.pool, err = pgxpool.New(ctx, dbURL.String()); err != nil {
		s.stop(ctx)
		return nil, err
	}
	s.token, err = auth.Mint(auth.Keys{Secret: []byte(jwtSecret)}, auth.Principal{
		Subject: "bench", ClientID: "bench-client", Facilities: []string{"F-0", "F-1", "F-2", "F-3", "F-4", "F-5", "F-6", "F-7", "F-8", "F-9"},
		Roles: []auth.Role{auth.RoleIntegrator, auth.RolePublisher},
	}, 12*time.Hour, time.Now())
	return s, err
}

func runWithEnv(ctx context.Context, env []string, bin string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func waitHealthy(ctx context.Context, base string) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/healthcheck")
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
	return fmt.Errorf("hookflow serve at %s did not become healthy", base)
}

// stop ends serve and drops the database.
func (s *stack) stop(ctx context.Context) {
	if s.pool != nil {
		s.pool.Close()
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			_ = s.cmd.Process.Kill()
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

func (s *stack) pid() int { return s.cmd.Process.Pid }
