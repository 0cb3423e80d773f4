package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

// switchable is a receiver answering one status for a while, then another;
// it keeps when each request came and what it was answered.
type switchable struct {
	*httptest.Server
	mu     sync.Mutex
	status int
	log    []answered
}

type answered struct {
	at     time.Time
	status int
}

func newSwitchable(t *testing.T, status int) *switchable {
	s := &switchable{status: status}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		s.mu.Lock()
		status := s.status
		s.log = append(s.log, answered{at: time.Now(), status: status})
		s.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *switchable) set(status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.status = status
}

func (s *switchable) answers() []answered {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]answered(nil), s.log...)
}

func deliveryOf(t *testing.T, id string) *hookflow.Delivery {
	t.Helper()
	d, err := testDB.Stores.Deliveries.Delivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func allSettled(t *testing.T, ids []string, status hookflow.DeliveryStatus) func() bool {
	return func() bool {
		for _, id := range ids {
			if deliveryOf(t, id).Status != status {
				return false
			}
		}
		return true
	}
}

func changeKinds(t *testing.T, webhookID string) map[hookflow.EndpointChangeKind]int {
	t.Helper()
	changes, err := testDB.Stores.Deliveries.EndpointChanges(context.Background(), webhookID)
	if err != nil {
		t.Fatal(err)
	}
	out := map[hookflow.EndpointChangeKind]int{}
	for _, c := range changes {
		out[c.Kind]++
	}
	return out
}

func TestAReceiverDownThenBackOpensTheCircuitAndLosesNothing(t *testing.T) {
	const deliveries, threshold, backoff = 5, 3, 300 * time.Millisecond
	schedule := make([]time.Duration, 8) // 2.4s of retries, less than the outage
	for i := range schedule {
		schedule[i] = backoff
	}
	policy := hookflow.EndpointPolicy{FailureThreshold: threshold, Cooldown: time.Second, MaxCooldown: 2 * time.Second, DisableAfter: time.Hour}
	s := newStack(t, stackOptions{guard: openGuard, schedule: schedule, endpoint: &policy})
	rcv := newSwitchable(t, http.StatusServiceUnavailable)
	tn := newTenant(t)
	w := s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	var ids []string
	for range deliveries {
		_, d := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
		ids = append(ids, d...)
	}
	outage := 4 * time.Second
	time.Sleep(outage) // the receiver is down for this long: nothing to wait for
	rcv.set(http.StatusOK)
	eventually(t, 20*time.Second, "every delivery to succeed", allSettled(t, ids, hookflow.StatusSucceeded))

	var failures, attempts int
	for _, a := range rcv.answers() {
		if a.status != http.StatusOK {
			failures++
		}
	}
	for _, id := range ids {
		attempts += deliveryOf(t, id).AttemptCount
	}
	// Without the breaker each delivery would try 1+8 times during the
	// outage, exhaust its schedule and fail; with it, only the first run
	// of failures and one probe per cooldown (1s, 2s, 2s) reach the receiver.
	t.Logf("outage %s: %d failed requests at the receiver, %d attempts recorded for %d deliveries (without the breaker: %d, and all failed)",
		outage, failures, attempts, deliveries, deliveries*(1+len(schedule)))
	if max := deliveries + 4; failures > max {
		t.Errorf("the receiver got %d failing requests while down, want at most %d (first failures and probes)", failures, max)
	}
	if attempts >= deliveries*(1+len(schedule)) {
		t.Errorf("%d attempts recorded, want fewer than without the breaker", attempts)
	}
	kinds := changeKinds(t, w["id"].(string))
	if kinds[hookflow.ChangeCircuitOpened] == 0 || kinds[hookflow.ChangeCircuitClosed] == 0 {
		t.Errorf("changes %v, want the circuit opened and closed", kinds)
	}
	h, err := testDB.Stores.Deliveries.EndpointHealth(context.Background(), w["id"].(string))
	if err != nil || !h.Healthy() {
		t.Errorf("health after recovery %+v, %v; want healthy", h, err)
	}
}

func TestA410DisablesTheEndpointAndEndsItsPendingDeliveries(t *testing.T) {
	schedule := []time.Duration{500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond, 500 * time.Millisecond}
	policy := hookflow.DefaultEndpointPolicy
	s := newStack(t, stackOptions{guard: openGuard, schedule: schedule, endpoint: &policy})
	rcv := newSwitchable(t, http.StatusInternalServerError)
	tn := newTenant(t)
	w := s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	publish := func() string {
		_, d := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
		return d[0]
	}
	pending := publish() // failing, in backoff
	eventually(t, 10*time.Second, "the first delivery to fail once", func() bool { return deliveryOf(t, pending).Status == hookflow.StatusRetrying })
	rcv.set(http.StatusGone)
	gone := publish()
	reason := "endpoint disabled: " + hookflow.GoneReason
	ended := func() bool {
		for _, id := range []string{pending, gone} {
			if d := deliveryOf(t, id); d.Status != hookflow.StatusFailed || d.FailureReason != reason {
				return false
			}
		}
		return true
	}
	eventually(t, 15*time.Second, "both deliveries to end failed with the reason", ended)
	before := len(rcv.answers())
	later := publish()
	eventually(t, 10*time.Second, "a new delivery to end at once", func() bool {
		d := deliveryOf(t, later)
		return d.Status == hookflow.StatusFailed && d.FailureReason == reason
	})
	if n := len(rcv.answers()); n != before {
		t.Errorf("the disabled endpoint got %d more requests, want none", n-before)
	}
	h, err := testDB.Stores.Deliveries.EndpointHealth(context.Background(), w["id"].(string))
	if err != nil || h == nil || h.State != hookflow.EndpointDisabled {
		t.Fatalf("health %+v, %v; want disabled", h, err)
	}
	if kinds := changeKinds(t, w["id"].(string)); kinds[hookflow.ChangeDisabled] != 1 {
		t.Errorf("changes %v, want one disabled", kinds)
	}
}

func TestARateLimitedEndpointNeverGetsMoreThanItsLimitInAnySecond(t *testing.T) {
	const rate, deliveries = 4, 14
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Second}})
	rcv := newSwitchable(t, http.StatusOK)
	tn := newTenant(t)
	w := s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	// The API's rateLimit field is another change's; the engine reads the column.
	if _, err := testDB.DB.Pool().Exec(context.Background(), `UPDATE webhooks SET rate_limit = $2 WHERE id = $1`, w["id"], rate); err != nil {
		t.Fatal(err)
	}
	var ids []string
	for range deliveries {
		_, d := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
		ids = append(ids, d...)
	}
	eventually(t, 30*time.Second, "every delivery to succeed", allSettled(t, ids, hookflow.StatusSucceeded))
	got := rcv.answers()
	if len(got) != deliveries {
		t.Fatalf("receiver got %d requests, want %d (one each)", len(got), deliveries)
	}
	// Every sliding one-second window, starting at each request.
	worst := 0
	for i := range got {
		n := 0
		for j := i; j < len(got) && got[j].at.Sub(got[i].at) < time.Second; j++ {
			n++
		}
		worst = max(worst, n)
	}
	t.Logf("rate limit %d/s: at most %d requests in any second; %d requests over %s", rate, worst, len(got), got[len(got)-1].at.Sub(got[0].at))
	if worst > rate {
		t.Errorf("a one-second window saw %d requests, want at most %d", worst, rate)
	}
}
