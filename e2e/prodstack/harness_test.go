// Package prodstack_test drives the production-shaped stack that
// scripts/prod-stack.sh starts (issue 22): the Temporal server built from its
// module, on PostgreSQL with SQL visibility, behind mutual TLS, and Hookflow
// as one api and two worker processes. It runs only under `make test-prod`
// (HOOKFLOW_PROD_STACK=1 and the exports of `scripts/prod-stack.sh env`);
// elsewhere every test skips.
package prodstack_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/config"
	"github.com/hookflow/hookflow/internal/testenv"
)

// env is the stack as `scripts/prod-stack.sh env` describes it.
type env struct {
	apiURL         string
	temporal       client.Client
	db             *pgxpool.Pool
	workerPidFiles []string
	dataDir        string
}

// The package's one stack, set up by TestMain; nil when skipped.
var prod *env

func TestMain(m *testing.M) {
	if os.Getenv("HOOKFLOW_PROD_STACK") != "1" {
		fmt.Println("prodstack: skipped; `make test-prod` runs it against scripts/prod-stack.sh")
		os.Exit(0)
	}
	e, cleanup, err := connect(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, "prodstack:", err)
		os.Exit(1)
	}
	prod = e
	code := m.Run()
	cleanup()
	os.Exit(code)
}

func need(name string) (string, error) {
	v := os.Getenv(name)
	if v == "" {
		return "", fmt.Errorf("%s is not set: run through `make test-prod` (eval \"$(scripts/prod-stack.sh env)\")", name)
	}
	return v, nil
}

// connect reaches the stack the way Hookflow does: the Temporal frontend
// over mutual TLS with the stack's CA and client certificate.
func connect(ctx context.Context) (*env, func(), error) {
	names := []string{"HOOKFLOW_PROD_API_URL", "HOOKFLOW_PROD_DATABASE_URL", "HOOKFLOW_PROD_TEMPORAL_ADDRESS",
		"HOOKFLOW_PROD_TLS_CA_FILE", "HOOKFLOW_PROD_TLS_CERT_FILE", "HOOKFLOW_PROD_TLS_KEY_FILE",
		"HOOKFLOW_PROD_TLS_SERVER_NAME", "HOOKFLOW_PROD_WORKER_PID_FILES", "HOOKFLOW_PROD_DATA_DIR"}
	v := map[string]string{}
	for _, n := range names {
		s, err := need(n)
		if err != nil {
			return nil, nil, err
		}
		v[n] = s
	}
	pem, err := os.ReadFile(v["HOOKFLOW_PROD_TLS_CA_FILE"])
	if err != nil {
		return nil, nil, err
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		return nil, nil, fmt.Errorf("no certificate in %s", v["HOOKFLOW_PROD_TLS_CA_FILE"])
	}
	cert, err := tls.LoadX509KeyPair(v["HOOKFLOW_PROD_TLS_CERT_FILE"], v["HOOKFLOW_PROD_TLS_KEY_FILE"])
	if err != nil {
		return nil, nil, err
	}
	tc, err := client.DialContext(ctx, client.Options{
		HostPort:  v["HOOKFLOW_PROD_TEMPORAL_ADDRESS"],
		Namespace: "default",
		Logger:    quietLogger{},
		ConnectionOptions: client.ConnectionOptions{TLS: &tls.Config{MinVersion: tls.VersionTLS12, RootCAs: roots,
			Certificates: []tls.Certificate{cert}, ServerName: v["HOOKFLOW_PROD_TLS_SERVER_NAME"]}},
	})
	if err != nil {
		return nil, nil, fmt.Errorf("connect to the stack's Temporal over mTLS: %w", err)
	}
	db, err := pgxpool.New(ctx, v["HOOKFLOW_PROD_DATABASE_URL"])
	if err != nil {
		tc.Close()
		return nil, nil, err
	}
	e := &env{apiURL: v["HOOKFLOW_PROD_API_URL"], temporal: tc, db: db,
		workerPidFiles: strings.Split(v["HOOKFLOW_PROD_WORKER_PID_FILES"], ","), dataDir: v["HOOKFLOW_PROD_DATA_DIR"]}
	return e, func() { db.Close(); tc.Close() }, nil
}

// quietLogger keeps the SDK's connection chatter out of the test output.
type quietLogger struct{}

func (quietLogger) Debug(string, ...any) {}
func (quietLogger) Info(string, ...any)  {}
func (quietLogger) Warn(string, ...any)  {}
func (quietLogger) Error(string, ...any) {}

// The stack's api runs in development mode with no JWT secret of its own:
// tokens are signed with the development key.
var devKeys = auth.Keys{Secret: []byte(config.DevelopmentJWTSecret)}

type tenant struct {
	clientID, facility, token string
}

func newTenant(t *testing.T) tenant {
	id := testenv.RandomID(5)
	tn := tenant{clientID: "prod-" + id, facility: "PF-" + id}
	tn.token = testenv.Token(t, devKeys, auth.Principal{ClientID: tn.clientID, Facilities: []string{tn.facility},
		Roles: []auth.Role{auth.RoleIntegrator, auth.RolePublisher}})
	return tn
}

type response struct {
	status int
	body   map[string]any
	raw    string
}

func (r response) data() map[string]any {
	d, _ := r.body["data"].(map[string]any)
	return d
}

func do(t *testing.T, method, path, tok string, body any, headers ...string) response {
	t.Helper()
	r := testenv.Do(t, method, prod.apiURL+path, tok, body, headers...)
	return response{status: r.Status, body: r.JSON, raw: r.Raw}
}

func createWebhook(t *testing.T, tn tenant, url string) string {
	t.Helper()
	r := do(t, http.MethodPost, "/api/v2/public/webhooks/facility", tn.token, map[string]any{"url": url, "events": []string{"all"}})
	if r.status != http.StatusCreated {
		t.Fatalf("create webhook: %d %s", r.status, r.raw)
	}
	return r.data()["id"].(string)
}

// publish posts an event to the tenant's facility and returns its event id
// and its one delivery.
func publish(t testing.TB, tn tenant, data map[string]any) (eventID, deliveryID string) {
	t.Helper()
	r := testenv.Do(t, http.MethodPost, prod.apiURL+"/api/v2/events", tn.token,
		map[string]any{"eventType": "shift.created", "facilityId": tn.facility, "data": data})
	if r.Status != http.StatusAccepted {
		t.Fatalf("publish: %d %s", r.Status, r.Raw)
	}
	d := r.JSON["data"].(map[string]any)
	ds := d["deliveries"].([]any)
	if len(ds) != 1 {
		t.Fatalf("publish made %d deliveries, want 1", len(ds))
	}
	return d["eventId"].(string), ds[0].(map[string]any)["id"].(string)
}

// logEntry is the tenant's one delivery log.
func logEntry(t *testing.T, tn tenant) map[string]any {
	t.Helper()
	r := do(t, http.MethodGet, "/api/v2/public/webhooks/logs", tn.token, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("logs: %d %s", r.status, r.raw)
	}
	entries := r.body["data"].([]any)
	if len(entries) != 1 {
		return nil
	}
	return entries[0].(map[string]any)
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// receiver is a webhook endpoint answering with scripted statuses (the
// last repeats) and recording what arrives.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int
	requests []received
}

type received struct {
	headers http.Header
	body    []byte
	at      time.Time
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, received{headers: req.Header.Clone(), body: body, at: time.Now()})
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status = r.statuses[min(len(r.requests), len(r.statuses))-1]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

func (r *receiver) all() []received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]received(nil), r.requests...)
}

func (r *receiver) answer(statuses ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(make([]int, len(r.requests)), statuses...)
	for i := range len(r.requests) {
		r.statuses[i] = http.StatusOK
	}
}

// visible lists the workflows the server's SQL visibility finds for query.
func visible(t *testing.T, query string) []string {
	t.Helper()
	resp, err := prod.temporal.ListWorkflow(context.Background(), &workflowservice.ListWorkflowExecutionsRequest{Namespace: "default", Query: query})
	if err != nil {
		t.Fatalf("list workflows %q: %v", query, err)
	}
	var ids []string
	for _, e := range resp.GetExecutions() {
		ids = append(ids, e.GetExecution().GetWorkflowId())
	}
	return ids
}
