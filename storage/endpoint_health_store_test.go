package storage_test

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

// healthFixture is an endpoint with one delivery whose attempts feed it.
type healthFixture struct {
	t        *testing.T
	webhook  *hookflow.Webhook
	delivery *hookflow.Delivery
	policy   hookflow.EndpointPolicy
}

func newHealthFixture(t *testing.T) *healthFixture {
	t.Helper()
	w := newOrgWebhook(t)
	d, err := testDB.Stores.Activity.AddActivityPost(context.Background(), hookflow.ActivityPost{Subscription: *w, Event: shiftCreated(t), Data: json.RawMessage(`{"n":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	p := hookflow.EndpointPolicy{FailureThreshold: 3, Cooldown: 30 * time.Second, MaxCooldown: 100 * time.Second, DisableAfter: 10 * time.Hour}
	return &healthFixture{t: t, webhook: w, delivery: d, policy: p}
}

// record records an attempt answered code (0: no answer) at the time given,
// as the activity does, and says whether the endpoint's state changed.
func (f *healthFixture) record(at time.Time, code int, retryAfter time.Duration) bool {
	f.t.Helper()
	ctx := context.Background()
	h := f.health()
	o := &hookflow.EndpointOutcome{WebhookID: f.webhook.ID, Policy: f.policy, At: at, Success: code >= 200 && code < 300,
		StatusCode: code, RetryAfter: retryAfter, Healthy: h.Healthy()}
	a := &hookflow.Attempt{DeliveryID: f.delivery.ID, URL: f.webhook.URL, ResponseStatus: code, Success: o.Success,
		DeliveryStatus: hookflow.StatusRetrying, Endpoint: o}
	if err := testDB.Stores.Deliveries.RecordAttempt(ctx, a, hookflow.ScheduledAttempt); err != nil {
		f.t.Fatal(err)
	}
	return o.Changed
}

func (f *healthFixture) health() *hookflow.EndpointHealth {
	f.t.Helper()
	h, err := testDB.Stores.Deliveries.EndpointHealth(context.Background(), f.webhook.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return h
}

func (f *healthFixture) changes() []hookflow.EndpointChange {
	f.t.Helper()
	c, err := testDB.Stores.Deliveries.EndpointChanges(context.Background(), f.webhook.ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return c
}

func TestAHealthyEndpointWritesNoRowAndARunOfFailuresOpensItsCircuit(t *testing.T) {
	f := newHealthFixture(t)
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	if f.record(t0, 200, 0) || f.health() != nil {
		t.Fatalf("a success on a healthy endpoint wrote %+v", f.health())
	}
	target, err := testDB.Stores.Deliveries.DeliveryTarget(context.Background(), f.delivery.ID)
	if err != nil || target.Health != nil {
		t.Fatalf("target of a healthy endpoint: health %+v, %v; want none", target.Health, err)
	}
	f.record(t0, 503, 0)
	f.record(t0, 0, 0)
	// A 400 is the receiver judging the request: it neither counts nor resets.
	if f.record(t0, 400, 0) {
		t.Error("a 400 changed the state")
	}
	if h := f.health(); h.State != hookflow.EndpointClosed || h.ConsecutiveFailures != 2 || h.FailingSince == nil || !h.FailingSince.Equal(t0) {
		t.Fatalf("after two breaker failures and a 400: %+v", h)
	}
	if !f.record(t0.Add(time.Second), 500, 0) {
		t.Fatal("the failure reaching the threshold changed nothing")
	}
	h := f.health()
	if h.State != hookflow.EndpointOpen || h.ProbeAt == nil || !h.ProbeAt.Equal(t0.Add(31*time.Second)) || h.Cooldown != 30*time.Second {
		t.Fatalf("at the threshold: %+v, want open with its probe a cooldown later", h)
	}
	c := f.changes()
	if len(c) != 1 || c[0].Kind != hookflow.ChangeCircuitOpened || c[0].Actor != hookflow.EngineActor || c[0].PublishedAt != nil {
		t.Fatalf("changes %+v, want one circuit_opened by hookflow, unpublished", c)
	}
	target, err = testDB.Stores.Deliveries.DeliveryTarget(context.Background(), f.delivery.ID)
	if err != nil || target.Health == nil || target.Health.State != hookflow.EndpointOpen {
		t.Fatalf("target health %+v, %v; want open", target.Health, err)
	}
}

func TestTheProbeIsExclusiveAFailedOneDoublesTheCooldownAndASuccessCloses(t *testing.T) {
	f := newHealthFixture(t)
	ctx := context.Background()
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	for range 3 {
		f.record(t0, 503, 0)
	}
	probeAt := t0.Add(30 * time.Second)
	if won, err := testDB.Stores.Deliveries.ClaimProbe(ctx, f.webhook.ID, f.delivery.ID, probeAt.Add(-time.Second), time.Minute); err != nil || won {
		t.Fatalf("claim before the probe is due: %v, %v; want refused", won, err)
	}
	// Ten deliveries race for the probe: one wins.
	var wg sync.WaitGroup
	wins := make(chan string, 10)
	for range 10 {
		other := newHealthDelivery(t, f.webhook)
		wg.Add(1)
		go func() {
			defer wg.Done()
			won, err := testDB.Stores.Deliveries.ClaimProbe(ctx, f.webhook.ID, other, probeAt, time.Minute)
			if err != nil {
				t.Error(err)
			}
			if won {
				wins <- other
			}
		}()
	}
	wg.Wait()
	close(wins)
	var winners []string
	for w := range wins {
		winners = append(winners, w)
	}
	if len(winners) != 1 {
		t.Fatalf("%d deliveries won the probe, want 1", len(winners))
	}
	h := f.health()
	if h.State != hookflow.EndpointHalfOpen || h.ProbeDeliveryID != winners[0] || !h.ProbeLeaseUntil.Equal(probeAt.Add(time.Minute)) {
		t.Fatalf("after the claim: %+v", h)
	}
	// Its lease expired, another may claim it (the prober's worker died).
	if won, _ := testDB.Stores.Deliveries.ClaimProbe(ctx, f.webhook.ID, f.delivery.ID, probeAt.Add(2*time.Minute), time.Minute); !won {
		t.Fatal("an expired lease could not be claimed")
	}

	failedAt := probeAt.Add(2 * time.Minute)
	f.record(failedAt, 502, 0)
	h = f.health()
	if h.State != hookflow.EndpointOpen || h.Cooldown != time.Minute || !h.ProbeAt.Equal(failedAt.Add(time.Minute)) || h.ProbeDeliveryID != "" {
		t.Fatalf("after a failed probe: %+v, want open for twice the cooldown", h)
	}
	f.record(failedAt, 502, 0) // a manual attempt while open: no change
	if won, err := testDB.Stores.Deliveries.ClaimProbe(ctx, f.webhook.ID, f.delivery.ID, failedAt.Add(time.Minute), time.Minute); err != nil || !won {
		t.Fatalf("the second probe: %v, %v", won, err)
	}
	f.record(failedAt.Add(time.Minute), 503, 0)
	if h := f.health(); h.Cooldown != 100*time.Second {
		t.Fatalf("cooldown after a second failed probe %s, want the cap 100s", h.Cooldown)
	}

	if won, _ := testDB.Stores.Deliveries.ClaimProbe(ctx, f.webhook.ID, f.delivery.ID, failedAt.Add(time.Hour), time.Minute); !won {
		t.Fatal("a due probe could not be claimed")
	}
	if !f.record(failedAt.Add(time.Hour), 204, 0) {
		t.Fatal("the probe's success changed nothing")
	}
	h = f.health()
	if !h.Healthy() || h.LastSuccessAt == nil || h.ThresholdNotified != 0 || h.ProbeAt != nil {
		t.Fatalf("after the probe succeeded: %+v, want closed and reset", h)
	}
	if c := f.changes(); c[0].Kind != hookflow.ChangeCircuitClosed {
		t.Fatalf("latest change %+v, want circuit_closed", c[0])
	}
	// Healthy again: a success writes nothing.
	if f.record(failedAt.Add(2*time.Hour), 200, 0) {
		t.Error("a success on a healthy endpoint recorded a change")
	}
}

func newHealthDelivery(t *testing.T, w *hookflow.Webhook) string {
	t.Helper()
	d, err := testDB.Stores.Activity.AddActivityPost(context.Background(), hookflow.ActivityPost{Subscription: *w, Event: shiftCreated(t), Data: json.RawMessage(`{"n":2}`)})
	if err != nil {
		t.Fatal(err)
	}
	return d.ID
}

func TestA429WithRetryAfterOpensAtOnceAndA410Disables(t *testing.T) {
	f := newHealthFixture(t)
	t0 := time.Now().UTC().Truncate(time.Millisecond)
	if !f.record(t0, 429, 45*time.Second) {
		t.Fatal("a 429 with Retry-After changed nothing")
	}
	if h := f.health(); h.State != hookflow.EndpointOpen || !h.ProbeAt.Equal(t0.Add(45*time.Second)) {
		t.Fatalf("after 429 Retry-After 45s: %+v, want open until then", h)
	}
	f.record(t0.Add(time.Minute), 410, 0)
	h := f.health()
	if h.State != hookflow.EndpointDisabled || h.DisabledReason != hookflow.GoneReason || h.DisabledAt == nil {
		t.Fatalf("after a 410: %+v, want disabled", h)
	}
	if c := f.changes(); c[0].Kind != hookflow.ChangeDisabled || c[0].Reason != hookflow.GoneReason {
		t.Fatalf("latest change %+v", c[0])
	}
	// Disabled stays so whatever comes: only a person enables it.
	f.record(t0.Add(2*time.Minute), 200, 0)
	if h := f.health(); h.State != hookflow.EndpointDisabled {
		t.Fatalf("a success re-enabled it: %+v", h)
	}
}

func TestAnEndpointFailingAllAlongIsAnnouncedAt50_70_90AndDisabledAt100(t *testing.T) {
	f := newHealthFixture(t)
	f.policy.FailureThreshold = 0 // the breaker off: auto-disable still runs
	t0 := time.Now().UTC().Truncate(time.Second)
	steps := []struct {
		after     time.Duration
		threshold int
	}{{0, 0}, {4 * time.Hour, 0}, {5 * time.Hour, 50}, {6 * time.Hour, 0}, {7 * time.Hour, 70}, {9*time.Hour + time.Minute, 90}, {9*time.Hour + 30*time.Minute, 0}}
	for _, s := range steps {
		before := len(f.changes())
		changed := f.record(t0.Add(s.after), 400, 0) // a 4xx counts as failing
		c := f.changes()
		if s.threshold == 0 {
			if changed || len(c) != before {
				t.Fatalf("at %s: changes %+v, want none", s.after, c)
			}
			continue
		}
		if !changed || c[0].Kind != hookflow.ChangeFailing || c[0].Threshold != s.threshold {
			t.Fatalf("at %s: latest change %+v, want failing %d", s.after, c[0], s.threshold)
		}
	}
	f.record(t0.Add(10*time.Hour), 0, 0)
	h := f.health()
	if h.State != hookflow.EndpointDisabled || h.ThresholdNotified != 100 {
		t.Fatalf("at the window: %+v, want disabled", h)
	}
	c := f.changes()
	want := "failing since " + t0.Format(time.RFC3339) + " (10h0m0s)"
	if c[0].Kind != hookflow.ChangeDisabled || c[0].Threshold != 100 || c[0].Reason != want {
		t.Fatalf("latest change %+v, want disabled 100 %q", c[0], want)
	}
	if len(c) != 4 {
		t.Errorf("%d changes, want 50, 70, 90 and disabled", len(c))
	}
	if h.State != hookflow.EndpointDisabled || h.ConsecutiveFailures != 0 {
		t.Errorf("the breaker off still counted: %+v", h)
	}
}

func TestRateLimitSlotsAreSpacedAndNeverShared(t *testing.T) {
	w := newOrgWebhook(t)
	ctx := context.Background()
	now := time.Now().UTC().Truncate(time.Millisecond)
	spacing := 250 * time.Millisecond
	var mu sync.Mutex
	var slots []time.Time
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s, err := testDB.Stores.Deliveries.ReserveSlot(ctx, w.ID, now, spacing)
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			slots = append(slots, s)
			mu.Unlock()
		}()
	}
	wg.Wait()
	seen := map[time.Duration]bool{}
	for _, s := range slots {
		off := s.Sub(now)
		if off < 0 || off%spacing != 0 || off >= 8*spacing || seen[off] {
			t.Fatalf("slots %v: want 8 distinct, %s apart from now", slots, spacing)
		}
		seen[off] = true
	}
	// Later than every reserved slot: now again.
	later := now.Add(time.Minute)
	if s, err := testDB.Stores.Deliveries.ReserveSlot(ctx, w.ID, later, spacing); err != nil || !s.Equal(later) {
		t.Fatalf("slot after a quiet minute %v, %v; want now", s, err)
	}
	// A rate-limited endpoint's row is a healthy one.
	if h, err := testDB.Stores.Deliveries.EndpointHealth(ctx, w.ID); err != nil || !h.Healthy() {
		t.Fatalf("health %+v, %v", h, err)
	}
}
