package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
)

// serveProcess runs the real `hookflow serve` binary.
type serveProcess struct {
	cmd *exec.Cmd
	url string
	log string // its log file
}

var (
	buildOnce sync.Once
	builtBin  string
	buildErr  error
)

func removeBuiltHookflow() {
	if builtBin != "" {
		_ = os.RemoveAll(filepath.Dir(builtBin))
	}
}

// buildHookflow builds the binary once for the package's process tests.
func buildHookflow(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "hookflow-e2e-bin-")
		if err != nil {
			buildErr = err
			return
		}
		builtBin = filepath.Join(dir, "hookflow")
		out, err := exec.Command("go", "build", "-o", builtBin, "github.com/hookflow/hookflow/cmd/hookflow").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("build hookflow: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return builtBin
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func startServe(t *testing.T, bin string, env []string, logName string) *serveProcess {
	t.Helper()
	return startServeAt(t, bin, env, logName, freeAddr(t))
}

// startServeAt runs `hookflow serve` on addr and waits for it to answer.
func startServeAt(t *testing.T, bin string, env []string, logName, addr string) *serveProcess {
	t.Helper()
	log, err := os.Create(filepath.Join(t.TempDir(), logName))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { log.Close() })
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(append(os.Environ(), env...), "HOOKFLOW_HTTP_ADDR="+addr)
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &serveProcess{cmd: cmd, url: "http://" + addr, log: log.Name()}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	eventually(t, 60*time.Second, "hookflow serve to answer", func() bool {
		resp, err := http.Get(p.url + "/healthcheck")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return p
}

func TestServeKilledMidDeliveryLosesNoEvent(t *testing.T) {
	bin := buildHookflow(t)
	// A namespace of its own: the process registers its schedule and
	// retention there, not on the namespace `make run` uses.
	ns, err := testenv.NewNamespace(context.Background(), testTemporal, "hookflow-crash")
	if err != nil {
		t.Fatal(err)
	}
	secret := "crash-test-secret-that-is-long-enough-for-hs256"
	env := []string{
		"HOOKFLOW_TEMPORAL_NAMESPACE=" + ns,
		"HOOKFLOW_DATABASE_URL=" + testDB.URL,
		"HOOKFLOW_TEMPORAL_ADDRESS=" + mustTemporalAddress(t),
		"HOOKFLOW_TASK_QUEUE=crash-" + testenv.RandomID(4),
		"HOOKFLOW_JWT_SECRET=" + secret,
		// Development: plain-http receivers on loopback, refused in production.
		"HOOKFLOW_ENV=development",
		"HOOKFLOW_ALLOW_INSECURE_URLS=true",
		"HOOKFLOW_ALLOW_PRIVATE_TARGETS=true",
		"HOOKFLOW_RETRY_SCHEDULE=1s,1s,1s",
	}
	// The receiver holds the first request open: the process dies mid-POST.
	var mu sync.Mutex
	var ids []string
	firstArrived := make(chan struct{})
	release := make(chan struct{})
	var releaseOnce sync.Once
	releaseReceiver := func() { releaseOnce.Do(func() { close(release) }) }
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		ids = append(ids, r.Header.Get("webhook-id"))
		n := len(ids)
		mu.Unlock()
		if n == 1 {
			close(firstArrived)
			<-release
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rcv.Close)
	t.Cleanup(releaseReceiver)

	first := startServe(t, bin, env, "serve-1.log")
	keys := auth.Keys{Secret: []byte(secret)}
	tok, err := auth.Mint(keys, auth.Principal{Subject: "crash", ClientID: "crash-" + testenv.RandomID(3), Facilities: []string{"CRASH-1"},
		Roles: []auth.Role{auth.RoleIntegrator, auth.RolePublisher}}, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{t: t, url: first.url}
	s.createWebhook(tenant{token: tok}, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	eventID, deliveries := s.publish(tenant{token: tok}, map[string]any{"eventType": "shift.created", "facilityId": "CRASH-1", "data": map[string]any{}})

	select {
	case <-firstArrived:
	case <-time.After(30 * time.Second):
		t.Fatal("the first attempt never reached the receiver")
	}
	if err := first.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = first.cmd.Wait()
	releaseReceiver()

	startServe(t, bin, env, "serve-2.log")
	eventually(t, 60*time.Second, "the delivery to succeed after the restart", func() bool {
		d, err := testDB.Stores.Deliveries.Delivery(context.Background(), deliveries[0])
		return err == nil && d.Status == hookflow.StatusSucceeded
	})
	mu.Lock()
	defer mu.Unlock()
	if len(ids) < 2 {
		t.Fatalf("receiver got %d requests, want the interrupted one and its redelivery", len(ids))
	}
	for _, id := range ids {
		if id != eventID {
			t.Errorf("webhook-id %q, want the event id %q on every attempt", id, eventID)
		}
	}
}

func mustTemporalAddress(t *testing.T) string {
	addr, err := testenv.TemporalAddress()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}
