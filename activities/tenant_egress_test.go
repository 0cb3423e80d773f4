package activities_test

import (
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/egress"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/signing"
)

// The attempt tells the guard whose delivery it makes: a network opened to
// one client is reached by that client's webhooks only.
func TestAnAttemptReachesANetworkOpenedToItsWebhooksClientOnly(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer srv.Close()
	port, err := strconv.Atoi(srv.URL[strings.LastIndex(srv.URL, ":")+1:])
	if err != nil {
		t.Fatal(err)
	}
	secret, err := signing.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	owner := newClientWebhook(t, &hookflow.Webhook{URL: srv.URL, Secrets: []string{secret}})
	stranger := newClientWebhook(t, &hookflow.Webhook{URL: srv.URL, Secrets: []string{secret}})
	ownerHook, err := testDB.Stores.Webhooks.Webhook(t.Context(), owner.String())
	if err != nil {
		t.Fatal(err)
	}
	guard := egress.Guard{
		TenantAllowed: map[egress.Tenant][]netip.Prefix{egress.ClientTenant(ownerHook.ClientID): {netip.MustParsePrefix("127.0.0.0/8")}},
		Ports:         hookflow.TargetPorts{Extra: []int{port}},
	}
	client := egress.NewClient(guard, 5*time.Second, "Hookflow/test", testenv.DiscardLogger())

	attempt := func(webhookID uuid.UUID) activities.AttemptResult {
		t.Helper()
		_, deliveryID := seedDelivery(t, webhookID, 0, "pending", 0)
		var suite testsuite.WorkflowTestSuite
		env := suite.NewTestActivityEnvironment()
		env.RegisterActivity(activities.New(testDB.Stores.Deliveries, client, testenv.DiscardLogger()))
		val, err := env.ExecuteActivity("Attempt", activities.AttemptInput{DeliveryID: deliveryID.String(), Kind: hookflow.ScheduledAttempt, Key: "tenant-" + testenv.RandomID(4)})
		if err != nil {
			t.Fatal(err)
		}
		var out activities.AttemptOutput
		if err := val.Get(&out); err != nil || out.Recorded == nil {
			t.Fatalf("attempt: %+v, %v", out, err)
		}
		return *out.Recorded
	}
	if r := attempt(owner); !r.Success {
		t.Errorf("the owner's attempt: %+v, want delivered", r)
	}
	if r := attempt(stranger); r.Success || r.Error != egress.ErrForbiddenTarget.Error() {
		t.Errorf("another client's attempt: %+v, want the uniform refusal", r)
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("receiver got %d requests, want the owner's only", n)
	}
}
