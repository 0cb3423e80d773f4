package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow/auth"
)

func TestManualRetryDuringBackoffAttemptsAtOnceAndIsIdempotent(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour}})
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusOK)
	tn := newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
	eventually(t, 10*time.Second, "the first attempt to fail", func() bool {
		logs := s.logs(tn.token, "")
		return len(logs) == 1 && logs[0]["deliveryStatus"] == "retrying" && logs[0]["nextRetryAt"] != nil
	})

	path := "/api/v2/public/webhooks/logs/" + ids[0] + "/retry"
	r := s.do(http.MethodPost, path, tn.token, nil, "Idempotency-Key", "ticket-42")
	if r.status != http.StatusCreated {
		t.Fatalf("retry: %d %s", r.status, r.raw)
	}
	attempt := r.data()
	if attempt["success"] != true || attempt["manual"] != true || attempt["retryAttempt"] != float64(1) || attempt["responseStatus"] != float64(200) || attempt["logId"] != ids[0] {
		t.Errorf("attempt = %v", attempt)
	}
	if attempt["retryingFromPostId"] == nil {
		t.Error("manual attempt is not linked to the attempt it retries")
	}
	again := s.do(http.MethodPost, path, tn.token, nil, "Idempotency-Key", "ticket-42")
	if again.status != http.StatusCreated || again.data()["id"] != attempt["id"] {
		t.Errorf("repeated retry = %d %s, want the same attempt %v", again.status, again.raw, attempt["id"])
	}
	if rcv.count() != 2 {
		t.Errorf("receiver got %d requests, want 2 (no second manual attempt)", rcv.count())
	}
	entry := s.logs(tn.token, "")[0]
	if entry["status"] != "success" || entry["nextRetryAt"] != nil || entry["attempts"] != float64(2) {
		t.Errorf("log after manual success = %v", entry)
	}
	// The workflow ended without waiting out its hour.
	run := testTemporal.GetWorkflow(context.Background(), "delivery-"+ids[0], "")
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := run.Get(ctx, nil); err != nil {
		t.Errorf("delivery workflow did not complete after the manual success: %v", err)
	}
}

func TestManualRetryAfterTheEndMakesOneLinkedAttempt(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard}) // no retries: one attempt, then failed
	rcv := newReceiver(t, http.StatusBadGateway)
	tn := newTenant(t)
	s.createWebhook(tn, "user", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "facility.creation.rejected", "clientId": tn.clientID, "data": map[string]any{}})
	eventually(t, 10*time.Second, "the delivery to fail", func() bool {
		logs := s.logs(tn.token, "")
		return len(logs) == 1 && logs[0]["deliveryStatus"] == "failed"
	})
	firstAttempt := s.logs(tn.token, "")[0]["retries"].(map[string]any)["id"]
	rcv.setStatuses(http.StatusOK)

	support := token(t, auth.Principal{ClientID: "support-desk", Roles: []auth.Role{auth.RoleSupport}})
	r := s.do(http.MethodPost, "/api/v2/public/webhooks/logs/"+ids[0]+"/retry", support, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("retry: %d %s", r.status, r.raw)
	}
	a := r.data()
	if a["success"] != true || a["retryingFromPostId"] != firstAttempt || a["retryAttempt"] != float64(1) {
		t.Errorf("attempt = %v, want a success linked to %v", a, firstAttempt)
	}
	entry := s.logs(tn.token, "")[0]
	if entry["status"] != "success" || entry["deliveryStatus"] != "succeeded" {
		t.Errorf("log after the retry = %v", entry)
	}
}

func TestManualRetryOfAnotherClientsLogIsNotFound(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	owner, stranger := newTenant(t), newTenant(t)
	s.createWebhook(owner, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	_, ids := s.publish(owner, map[string]any{"eventType": "shift.created", "facilityId": owner.facilities[0], "data": map[string]any{}})
	want := `{"message":"Webhook log not found","error":"Not Found","statusCode":404}`
	for _, path := range []string{"/api/v2/public/webhooks/logs/" + ids[0] + "/retry", "/api/v2/public/webhooks/logs/not-a-uuid/retry"} {
		if r := s.do(http.MethodPost, path, stranger.token, nil); r.status != http.StatusNotFound || r.raw != want {
			t.Errorf("%s: %d %s", path, r.status, r.raw)
		}
	}
}

func TestDeletingAWebhookEndsItsPendingRetries(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour, time.Hour}})
	rcv := newReceiver(t, http.StatusInternalServerError)
	tn := newTenant(t)
	w := s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
	eventually(t, 10*time.Second, "the backoff", func() bool {
		logs := s.logs(tn.token, "")
		return len(logs) == 1 && logs[0]["deliveryStatus"] == "retrying"
	})
	if r := s.do(http.MethodDelete, "/api/v2/public/webhooks/facility/"+w["id"].(string), tn.token, nil); r.status != http.StatusOK {
		t.Fatal(r.raw)
	}
	eventually(t, 10*time.Second, "the delivery to end", func() bool {
		logs := s.logs(tn.token, "")
		return len(logs) == 1 && logs[0]["deliveryStatus"] == "failed"
	})
	if d, err := testDB.Stores.Deliveries.Delivery(context.Background(), ids[0]); err != nil || d.FailureReason != "webhook deleted" {
		t.Errorf("failure reason of %+v (%v), want webhook deleted", d, err)
	}
	if rcv.count() != 1 {
		t.Errorf("receiver got %d requests after the deletion, want only the first", rcv.count())
	}
	r := s.do(http.MethodPost, "/api/v2/public/webhooks/logs/"+ids[0]+"/retry", tn.token, nil)
	if r.status != http.StatusConflict || r.raw != `{"message":"Delivery can no longer be attempted: webhook deleted","error":"Conflict","statusCode":409}` {
		t.Errorf("retry of a deleted webhook's delivery: %d %s", r.status, r.raw)
	}
}

func TestManualRetryDuringAnAttemptWaitsForItThenAttemptsOnce(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour}})
	arrived, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	requests := 0
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		requests++
		first := requests == 1
		mu.Unlock()
		if first {
			close(arrived)
			<-release // still running when support asks
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	t.Cleanup(slow.Close)
	tn := newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": slow.URL, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
	<-arrived

	done := make(chan response, 1)
	go func() { done <- s.do(http.MethodPost, "/api/v2/public/webhooks/logs/"+ids[0]+"/retry", tn.token, nil) }()
	time.Sleep(200 * time.Millisecond)
	close(release)
	r := <-done
	if r.status != http.StatusCreated {
		t.Fatalf("retry: %d %s", r.status, r.raw)
	}
	a := r.data()
	if a["success"] != true || a["retryAttempt"] != float64(1) || a["retryingFromPostId"] == nil {
		t.Errorf("attempt = %v, want the manual attempt after the running one", a)
	}
	mu.Lock()
	defer mu.Unlock()
	if requests != 2 {
		t.Errorf("receiver got %d requests, want the running attempt and one manual attempt", requests)
	}
}
