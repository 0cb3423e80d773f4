// Package e2e_test drives Hookflow end to end: the real API, a real worker on
// the Temporal dev server, real PostgreSQL, and an httptest receiver.
package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/dispatch"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/storage"
	"github.com/hookflow/hookflow/worker"
)

var (
	testDB       *testenv.Database
	testTemporal client.Client
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	code := testenv.Main(m, "e2e", &testDB, testenv.WithTemporal(&testTemporal), func(ctx context.Context) (func(), error) {
		return func() {}, worker.EnsureSearchAttributes(ctx, testTemporal, "default", testenv.DiscardLogger())
	})
	stopFaultServices()
	removeBuiltHookflow()
	os.Exit(code)
}

var testKeys = auth.Keys{Secret: []byte("e2e-secret-that-is-long-enough-for-hs256")}

// stack is one Hookflow: API, dispatcher and a worker on a task queue of its own.
type stack struct {
	t          *testing.T
	url        string
	queue      string
	dispatcher *dispatch.Dispatcher
}

type stackOptions struct {
	schedule     []time.Duration
	guard        egress.Guard
	temporal     client.Client // for the dispatcher; the shared one when nil
	db           *storage.DB   // for the API and dispatcher; the package's when nil
	maxBodyBytes int64
	overlap      time.Duration // a rotated-out subscription secret keeps signing this long
	// endpoint is the endpoint-health policy; nil: the breaker off (the
	// other tests' receivers fail on purpose) and auto-disable after 120h.
	endpoint *hookflow.EndpointPolicy
}

func newStack(t *testing.T, o stackOptions) *stack {
	t.Helper()
	if o.maxBodyBytes == 0 {
		o.maxBodyBytes = 64 << 10
	}
	queue := "e2e-" + testenv.RandomID(6)
	logger := testenv.DiscardLogger()
	tc := o.temporal
	if tc == nil {
		tc = testTemporal
	}
	db := o.db
	if db == nil {
		db = testDB.DB
	}
	stores := db.Stores(testenv.KeyRing())
	policy := hookflow.DefaultEndpointPolicy
	policy.FailureThreshold = 0
	if o.endpoint != nil {
		policy = *o.endpoint
	}
	d := dispatch.New(dispatch.Stores{Catalog: stores.Catalog, Events: stores.Events, Deliveries: stores.Deliveries, Activity: stores.Activity,
		EndpointChanges: stores.EndpointChanges, Recoveries: stores.Recoveries}, tc, dispatch.Options{TaskQueue: queue, RetrySchedule: o.schedule, AttemptTimeout: 20 * time.Second,
		EagerStart: o.temporal == nil, StartTimeout: 2 * time.Second}, logger)
	w := worker.New(testTemporal, worker.Options{TaskQueue: queue}, worker.Activities{
		Delivery: activities.New(testDB.Stores.Deliveries, egress.NewClient(o.guard, 5*time.Second, "Hookflow/e2e", logger), logger,
			activities.WithEndpointPolicy(policy, 30*time.Second), activities.WithEndpointWatcher(d)),
		Retention: activities.NewRetention(testDB.Stores.Retention),
		Recover:   d.RecoverStranded,

		RecoverEndpointBatch: d.RecoverEndpointBatch,
		FailEndpointRecovery: d.FailEndpointRecovery,
	})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	// Every answer the tests get is also checked against the OpenAPI document.
	srv := httptest.NewServer(testenv.CheckedAgainstOpenAPI(t, api.NewServer(api.Deps{
		Logger: logger, Verifier: auth.NewVerifier(testKeys), Database: db, Temporal: worker.TemporalPinger{Client: tc},
		Stores: api.Stores{
			Webhooks: stores.Webhooks, Deliveries: stores.Deliveries, Logs: stores.Logs, Catalog: stores.Catalog,
			SamplePayloads: stores.SamplePayloads, Subscriptions: stores.Subscriptions, Secrets: stores.Secrets, Activity: stores.Activity,
			Processors: stores.Deliveries, Endpoints: stores.Endpoints, Recoveries: stores.Recoveries,
		},
		Dispatcher: d,
	}, api.Options{MaxPayloadBytes: o.maxBodyBytes, AllowInsecureURLs: true, SecretRotationOverlap: o.overlap,
		TargetPorts: hookflow.TargetPorts{Any: true}})))
	t.Cleanup(srv.Close)
	return &stack{t: t, url: srv.URL, queue: queue, dispatcher: d}
}

func token(t *testing.T, p auth.Principal) string { return testenv.Token(t, testKeys, p) }

// tenant is an integrator client with facilities, that may also publish.
type tenant struct {
	clientID   string
	facilities []string
	token      string
}

func newTenant(t *testing.T) tenant {
	id := testenv.RandomID(4)
	tn := tenant{clientID: "client-" + id, facilities: []string{"F-" + id + "-1", "F-" + id + "-2"}}
	tn.token = token(t, auth.Principal{ClientID: tn.clientID, Facilities: tn.facilities, Roles: []auth.Role{auth.RoleIntegrator, auth.RolePublisher}})
	return tn
}

type response struct {
	status int
	body   map[string]any
	raw    string
}

func (s *stack) do(method, path, tok string, body any, headers ...string) response {
	s.t.Helper()
	r := testenv.Do(s.t, method, s.url+path, tok, body, headers...)
	return response{status: r.Status, body: r.JSON, raw: r.Raw}
}

func (r response) data() map[string]any {
	d, _ := r.body["data"].(map[string]any)
	return d
}

func (s *stack) createWebhook(tn tenant, kind string, body map[string]any) map[string]any {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v2/public/webhooks/"+kind, tn.token, body)
	if r.status != http.StatusCreated {
		s.t.Fatalf("create webhook: %d %s", r.status, r.raw)
	}
	return r.data()
}

// publish posts an event and returns the delivery ids.
func (s *stack) publish(tn tenant, body map[string]any) (string, []string) {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/v2/events", tn.token, body)
	if r.status != http.StatusAccepted {
		s.t.Fatalf("publish: %d %s", r.status, r.raw)
	}
	var ids []string
	for _, d := range r.data()["deliveries"].([]any) {
		ids = append(ids, d.(map[string]any)["id"].(string))
	}
	return r.data()["eventId"].(string), ids
}

// logs searches the delivery logs.
func (s *stack) logs(tok, query string) []map[string]any {
	s.t.Helper()
	r := s.do(http.MethodGet, "/api/v2/public/webhooks/logs?"+query, tok, nil)
	if r.status != http.StatusCreated {
		s.t.Fatalf("logs: %d %s", r.status, r.raw)
	}
	var out []map[string]any
	for _, e := range r.body["data"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// receiver is a webhook endpoint whose answers the test scripts.
type receiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int // by request; the last repeats
	requests []received
}

type received struct {
	body    []byte
	headers http.Header
	at      time.Time
}

func newReceiver(t *testing.T, statuses ...int) *receiver {
	r := &receiver{statuses: statuses}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		body, _ := io.ReadAll(req.Body)
		r.mu.Lock()
		r.requests = append(r.requests, received{body: body, headers: req.Header.Clone(), at: time.Now()})
		status := http.StatusOK
		if len(r.statuses) > 0 {
			status = r.statuses[min(len(r.requests), len(r.statuses))-1]
		}
		r.mu.Unlock()
		w.WriteHeader(status)
		_, _ = w.Write([]byte(`{"received":true}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *receiver) count() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.requests)
}

func (r *receiver) request(i int) received {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[i]
}

func (r *receiver) setStatuses(statuses ...int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.statuses = append(make([]int, len(r.requests)), statuses...)
	for i := range len(r.requests) {
		r.statuses[i] = http.StatusOK
	}
}
