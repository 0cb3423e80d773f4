package e2e_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// Ports of the fault tests' own services (the ranges this suite may use):
// stopping them disturbs no other test. All lie below Linux's ephemeral range
// (32768-60999): while PostgreSQL is down, a client reconnecting to a port in
// that range can be handed the same port as its own source and connect to
// itself, and PostgreSQL then cannot bind it again.
const (
	faultPGPorts       = 25432 // to 25439
	faultTemporalPorts = 17233 // to 17242, four per server
	faultHTTPPorts     = 18000 // to 18019
)

// faultServices are a PostgreSQL cluster and a Temporal dev server of the
// fault tests' own, which they stop and restart.
type faultServices struct {
	pgBin, pgDir string
	pgPort       int
	dbURL        string

	temporalBin, temporalDB, temporalLog string
	temporalPort                         int
	temporal                             *exec.Cmd
	temporalExited                       chan struct{}
}

var (
	faultOnce sync.Once
	faultSvc  *faultServices
	faultErr  error
)

// ownServices starts the fault tests' services once for the package; they
// stop when the test binary's TestMain cleanup runs (see stopFaultServices).
func ownServices(t *testing.T) *faultServices {
	t.Helper()
	if testing.Short() {
		t.Skip("fault tests start their own PostgreSQL and Temporal")
	}
	faultOnce.Do(func() { faultSvc, faultErr = startFaultServices() })
	if faultErr != nil {
		t.Fatalf("start the fault tests' own services: %v", faultErr)
	}
	return faultSvc
}

func stopFaultServices() {
	if faultSvc != nil {
		faultSvc.stopTemporal()
		_ = faultSvc.pgCtl("stop", "-m", "immediate")
		_ = os.RemoveAll(filepath.Dir(faultSvc.pgDir))
		_ = os.RemoveAll(filepath.Dir(faultSvc.temporalDB))
	}
}

func startFaultServices() (*faultServices, error) {
	bins, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	if len(bins) == 0 {
		return nil, errors.New("no PostgreSQL server binaries under /usr/lib/postgresql")
	}
	sort.Strings(bins)
	root, err := filepath.Abs("..")
	if err != nil {
		return nil, err
	}
	s := &faultServices{pgBin: bins[len(bins)-1], temporalBin: filepath.Join(root, "bin", "temporal")}
	if s.pgPort, err = freePort(faultPGPorts, 8, 1); err != nil {
		return nil, err
	}
	if s.temporalPort, err = freePort(faultTemporalPorts, 2, 4); err != nil {
		return nil, err
	}
	// /var/tmp: the postgres user must reach the cluster's directory.
	base, err := os.MkdirTemp("/var/tmp", "hookflow-fault-")
	if err != nil {
		return nil, err
	}
	s.pgDir = filepath.Join(base, "pg")
	if err := os.Mkdir(s.pgDir, 0o700); err != nil {
		return nil, err
	}
	if os.Getuid() == 0 {
		if out, err := exec.Command("chown", "-R", "postgres:postgres", base).CombinedOutput(); err != nil {
			return nil, fmt.Errorf("chown %s: %v: %s", base, err, out)
		}
	}
	if out, err := s.asPostgres(filepath.Join(s.pgBin, "initdb"), "-D", s.pgDir, "-U", "postgres", "--auth=trust", "-E", "UTF8").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("initdb: %v: %s", err, out)
	}
	if err := s.startPostgres(); err != nil {
		return nil, err
	}
	if out, err := exec.Command(filepath.Join(s.pgBin, "psql"), "-h", "127.0.0.1", "-p", strconv.Itoa(s.pgPort), "-U", "postgres",
		"-d", "postgres", "-qc", "CREATE DATABASE hookflow").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("create database: %v: %s", err, out)
	}
	s.dbURL = fmt.Sprintf("postgres://postgres@127.0.0.1:%d/hookflow?sslmode=disable", s.pgPort)

	tdir, err := os.MkdirTemp("", "hookflow-fault-temporal-")
	if err != nil {
		return nil, err
	}
	s.temporalDB, s.temporalLog = filepath.Join(tdir, "temporal.db"), filepath.Join(tdir, "temporal.log")
	if err := s.startTemporal(); err != nil {
		return nil, err
	}
	return s, nil
}

func (s *faultServices) asPostgres(name string, args ...string) *exec.Cmd {
	var cmd *exec.Cmd
	if os.Getuid() == 0 {
		cmd = exec.Command("runuser", append([]string{"-u", "postgres", "--", name}, args...)...)
	} else {
		cmd = exec.Command(name, args...)
	}
	cmd.Dir = "/"
	return cmd
}

func (s *faultServices) pgCtl(args ...string) error {
	full := append([]string{"-D", s.pgDir, "-w", "-t", "60"}, args...)
	if out, err := s.asPostgres(filepath.Join(s.pgBin, "pg_ctl"), full...).CombinedOutput(); err != nil {
		return fmt.Errorf("pg_ctl %v: %v: %s", args, err, out)
	}
	return nil
}

func (s *faultServices) startPostgres() error {
	logFile := filepath.Join(filepath.Dir(s.pgDir), "pg.log")
	err := s.pgCtl("-l", logFile, "start",
		"-o", fmt.Sprintf("-c listen_addresses=127.0.0.1 -p %d -k /tmp -c max_connections=100 -c fsync=off", s.pgPort))
	if err != nil {
		// The cluster's directory is removed at the end: keep what its log says.
		out, _ := os.ReadFile(logFile)
		return fmt.Errorf("%w\npg.log:\n%s", err, tail(out, 2000))
	}
	return nil
}

// stopPostgres stops the cluster the way a crash or an operator would:
// connections drop at once.
func (s *faultServices) stopPostgres() error { return s.pgCtl("stop", "-m", "fast") }

func (s *faultServices) startTemporal() error {
	p := s.temporalPort
	cmd := exec.Command(s.temporalBin, "server", "start-dev", "--ip", "127.0.0.1", "--port", strconv.Itoa(p), "--headless",
		"--http-port", strconv.Itoa(p+1), "--metrics-port", strconv.Itoa(p+2), "--db-filename", s.temporalDB,
		"--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true", "--log-level", "error")
	log, err := os.OpenFile(s.temporalLog, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the Temporal dev server: %w", err)
	}
	s.temporal, s.temporalExited = cmd, make(chan struct{})
	go func(done chan struct{}) { _ = cmd.Wait(); log.Close(); close(done) }(s.temporalExited)
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		if s.temporalHealthy() {
			return nil
		}
		select {
		case <-s.temporalExited:
			out, _ := os.ReadFile(s.temporalLog)
			return fmt.Errorf("the Temporal dev server exited: %s", out)
		case <-time.After(200 * time.Millisecond):
		}
	}
	return errors.New("the Temporal dev server did not answer within 60s")
}

func (s *faultServices) temporalHealthy() bool {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return exec.CommandContext(ctx, s.temporalBin, "operator", "cluster", "health", "--address", s.temporalAddress()).Run() == nil
}

// stopTemporal stops the dev server (SIGTERM, then SIGKILL) and waits.
func (s *faultServices) stopTemporal() {
	if s.temporal == nil {
		return
	}
	_ = syscall.Kill(-s.temporal.Process.Pid, syscall.SIGTERM)
	select {
	case <-s.temporalExited:
	case <-time.After(15 * time.Second):
		_ = syscall.Kill(-s.temporal.Process.Pid, syscall.SIGKILL)
		<-s.temporalExited
	}
	s.temporal = nil
}

func (s *faultServices) temporalAddress() string { return fmt.Sprintf("127.0.0.1:%d", s.temporalPort) }

func (s *faultServices) db(ctx context.Context) (*pgx.Conn, error) { return pgx.Connect(ctx, s.dbURL) }

// freePort finds, from first, a block of size free ports among n blocks.
func freePort(first, n, size int) (int, error) {
	for i := range n {
		port, free := first+i*size, true
		for p := port; p < port+size && free; p++ {
			ln, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", p))
			if err != nil {
				free = false
				continue
			}
			ln.Close()
		}
		if free {
			return port, nil
		}
	}
	return 0, fmt.Errorf("no free port block of %d from %d", size, first)
}
