package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"

	"github.com/gin-gonic/gin"
	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/dispatch"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/worker"
)

var (
	testDB       *testenv.Database
	testTemporal client.Client
)

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode)
	os.Exit(testenv.Main(m, "api", &testDB, testenv.WithTemporal(&testTemporal)))
}

var testKeys = auth.Keys{Secret: []byte("test-secret-that-is-long-enough-for-hs256")}

// harness serves the real API over HTTP on the package's database.
type harness struct {
	t   *testing.T
	url string
}

func newHarness(t *testing.T, mutate ...func(*api.Deps, *api.Options)) *harness {
	t.Helper()
	deps, opts := harnessConfig()
	for _, m := range mutate {
		m(&deps, &opts)
	}
	// Every answer the tests get is also checked against the OpenAPI document.
	srv := httptest.NewServer(testenv.CheckedAgainstOpenAPI(t, api.NewServer(deps, opts)))
	t.Cleanup(srv.Close)
	return &harness{t: t, url: srv.URL}
}

// harnessConfig is how the harness builds the server: the package's
// database and Temporal, a small payload limit.
func harnessConfig() (api.Deps, api.Options) {
	stores := testDB.Stores
	deps := api.Deps{
		Logger:   testenv.DiscardLogger(),
		Verifier: auth.NewVerifier(testKeys),
		Database: testDB.DB,
		Temporal: worker.TemporalPinger{Client: testTemporal},
		Stores: api.Stores{
			Webhooks: stores.Webhooks, Deliveries: stores.Deliveries, Logs: stores.Logs, Catalog: stores.Catalog,
			SamplePayloads: stores.SamplePayloads, Subscriptions: stores.Subscriptions, Secrets: stores.Secrets, Activity: stores.Activity,
			Processors: stores.Deliveries, Endpoints: stores.Endpoints, Recoveries: stores.Recoveries,
		},
		// No worker polls this queue: these tests publish nothing.
		Dispatcher: dispatch.New(dispatch.Stores{Catalog: stores.Catalog, Events: stores.Events, Deliveries: stores.Deliveries, Activity: stores.Activity, Recoveries: stores.Recoveries,
			EndpointChanges: stores.EndpointChanges}, testTemporal, dispatch.Options{TaskQueue: "api-tests-" + testenv.RandomID(4)}, testenv.DiscardLogger()),
	}
	return deps, api.Options{MaxPayloadBytes: 4096}
}

func token(t *testing.T, p auth.Principal) string { return testenv.Token(t, testKeys, p) }

// integrator returns a token of a fresh client with facilities.
func integrator(t *testing.T, facilities ...string) (string, string) {
	clientID := "client-" + testenv.RandomID(4)
	return token(t, auth.Principal{ClientID: clientID, Facilities: facilities, Roles: []auth.Role{auth.RoleIntegrator}}), clientID
}

type response struct {
	status int
	body   map[string]any
	raw    string
}

// do sends a request; body is JSON-encoded unless it is a string, sent as is.
func (h *harness) do(method, path, tok string, body any) response {
	h.t.Helper()
	return fromTestenv(testenv.Do(h.t, method, h.url+path, tok, body))
}

func (h *harness) send(req *http.Request) response {
	h.t.Helper()
	return fromTestenv(testenv.Send(h.t, req))
}

func fromTestenv(r testenv.Response) response {
	return response{status: r.Status, body: r.JSON, raw: r.Raw}
}

// data returns the "data" object of a response.
func (r response) data(t *testing.T) map[string]any {
	t.Helper()
	d, ok := r.body["data"].(map[string]any)
	if !ok {
		t.Fatalf("response has no data object: %d %s", r.status, r.raw)
	}
	return d
}

func strs(v any) []string {
	items, _ := v.([]any)
	out := []string{}
	for _, i := range items {
		s, _ := i.(string)
		out = append(out, s)
	}
	return out
}

// expectJSON asserts the status and the exact JSON body.
func expectJSON(t *testing.T, r response, status int, want string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	var got, exp any
	if err := json.Unmarshal([]byte(r.raw), &got); err != nil {
		t.Fatalf("body is not JSON: %s", r.raw)
	}
	if err := json.Unmarshal([]byte(want), &exp); err != nil {
		t.Fatalf("bad expectation: %v", err)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if !bytes.Equal(g, e) {
		t.Fatalf("body =\n%s\nwant\n%s", g, e)
	}
}
