package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
)

// The endpoint API end to end: after an outage a recover re-drives exactly
// the failed deliveries of its window, once, and an enable of a disabled
// endpoint recovers in the same call. The receiver fails few enough
// attempts that no circuit breaker opens: the deliveries end failed.

// failedDelivery publishes one event to the tenant's webhook and waits for
// its only scheduled attempt (no retries) to fail it.
func (s *stack) failedDelivery(tn tenant) string {
	s.t.Helper()
	_, ids := s.publish(tn, map[string]any{"eventType": "facility.creation.accepted", "clientId": tn.clientID, "data": map[string]any{"facilityId": "F"}})
	if len(ids) != 1 {
		s.t.Fatalf("deliveries = %v, want 1", ids)
	}
	eventually(s.t, 20*time.Second, "delivery "+ids[0]+" to fail", func() bool {
		d, err := testDB.Stores.Deliveries.Delivery(context.Background(), ids[0])
		return err == nil && d.Status == hookflow.StatusFailed
	})
	return ids[0]
}

// recoveryDone polls a recover until it is no longer running.
func (s *stack) recoveryDone(path, tok string) map[string]any {
	s.t.Helper()
	var rec map[string]any
	eventually(s.t, 30*time.Second, "the recover to complete", func() bool {
		r := s.do(http.MethodGet, path, tok, nil)
		rec = r.data()
		return r.status == http.StatusOK && rec["state"] != "running"
	})
	return rec
}

// attemptsOf loads a delivery's attempts.
func attemptsOf(t *testing.T, id string) (*hookflow.Delivery, []*hookflow.Attempt) {
	t.Helper()
	d, err := testDB.Stores.Deliveries.Delivery(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	as, err := testDB.Stores.Deliveries.Attempts(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d, as
}

func TestRecoverAfterAnOutageRedrivesTheFailedDeliveriesOfTheWindowOnce(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard}) // no retries: one attempt each
	rcv := newReceiver(t, http.StatusInternalServerError)
	tn := newTenant(t)
	w := s.createWebhook(tn, "user", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	base := "/api/v2/public/webhooks/user/" + w["id"].(string)

	outside := s.failedDelivery(tn)
	since := time.Now().UTC()
	inside := []string{s.failedDelivery(tn), s.failedDelivery(tn)}
	before := rcv.count()

	rcv.setStatuses(http.StatusOK) // the receiver is back
	key := []string{"Idempotency-Key", "outage-" + tn.clientID}
	body := map[string]any{"since": since.Format(time.RFC3339Nano), "status": "failed"}
	r := s.do(http.MethodPost, base+"/recover", tn.token, body, key...)
	if r.status != http.StatusAccepted || r.data()["found"] != float64(2) {
		t.Fatalf("recover: %d %s", r.status, r.raw)
	}
	id := r.data()["id"].(string)
	rec := s.recoveryDone(base+"/recoveries/"+id, tn.token)
	if rec["state"] != "completed" || rec["redriven"] != float64(2) || rec["woken"] != float64(0) || rec["errors"] != float64(0) || rec["completedAt"] == nil {
		t.Fatalf("recover = %v, want completed with 2 re-driven", rec)
	}
	if got := rcv.count(); got != before+2 {
		t.Fatalf("receiver got %d requests after the recover, want %d", got, before+2)
	}
	for _, del := range inside {
		d, as := attemptsOf(t, del)
		if d.Status != hookflow.StatusSucceeded || len(as) != 2 {
			t.Fatalf("delivery %s: %s with %d attempts, want succeeded with 2", del, d.Status, len(as))
		}
		if last := as[1]; !last.Manual || !last.Success || last.RetryingFromID != as[0].ID {
			t.Errorf("delivery %s: new attempt %+v, want a manual success linked to %s", del, last, as[0].ID)
		}
	}
	if d, as := attemptsOf(t, outside); d.Status != hookflow.StatusFailed || len(as) != 1 {
		t.Errorf("delivery outside the window: %s with %d attempts, want untouched", d.Status, len(as))
	}

	// The same key again: the same recover, nothing re-driven twice.
	again := s.do(http.MethodPost, base+"/recover", tn.token, body, key...)
	if again.status != http.StatusOK || again.data()["id"] != id || again.data()["redriven"] != float64(2) {
		t.Fatalf("recover again: %d %s", again.status, again.raw)
	}
	time.Sleep(300 * time.Millisecond) // a second run would have posted by now
	if got := rcv.count(); got != before+2 {
		t.Errorf("receiver got %d requests after the same key again, want still %d", got, before+2)
	}
}

func TestEnableWithRecoverRedrivesWhatFailedWhileDisabled(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t, http.StatusInternalServerError)
	tn := newTenant(t)
	w := s.createWebhook(tn, "user", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	base := "/api/v2/public/webhooks/user/" + w["id"].(string)

	since := time.Now().UTC()
	r := s.do(http.MethodPost, base+"/disable", tn.token, map[string]any{"reason": "receiver down"})
	if r.status != http.StatusOK || r.data()["state"] != "disabled" {
		t.Fatalf("disable: %d %s", r.status, r.raw)
	}
	failed := s.failedDelivery(tn)

	rcv.setStatuses(http.StatusOK)
	r = s.do(http.MethodPost, base+"/enable", tn.token, map[string]any{"recover": map[string]any{"since": since.Format(time.RFC3339Nano)}})
	if r.status != http.StatusOK || r.data()["state"] != "closed" {
		t.Fatalf("enable: %d %s", r.status, r.raw)
	}
	rec, _ := r.data()["recovery"].(map[string]any)
	if rec == nil || rec["found"] != float64(1) {
		t.Fatalf("enable's recovery = %v, want 1 found", rec)
	}
	done := s.recoveryDone(base+"/recoveries/"+rec["id"].(string), tn.token)
	if done["state"] != "completed" || done["redriven"] != float64(1) {
		t.Fatalf("recover = %v", done)
	}
	if d, as := attemptsOf(t, failed); d.Status != hookflow.StatusSucceeded || !as[len(as)-1].Manual {
		t.Errorf("delivery %s after the recover: %s, last attempt %+v", failed, d.Status, as[len(as)-1])
	}
	changes := s.do(http.MethodGet, base+"/health", tn.token, nil).data()["changes"].([]any)
	if len(changes) < 2 || changes[0].(map[string]any)["kind"] != "enabled" {
		t.Errorf("changes = %v, want enabled newest", changes)
	}
}
