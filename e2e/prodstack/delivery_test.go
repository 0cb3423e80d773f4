package prodstack_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow/retry"
)

// The stack's retry schedule (scripts/prod-stack.sh): a 1s timer, then a
// 15s one, then the end. Long enough a backoff for support to step in,
// short enough to reach the end within the suite.
const (
	firstBackoff  = time.Second
	secondBackoff = 15 * time.Second
)

// A published event reaches its receiver through the api process, the
// server and a worker process, and the server's SQL visibility finds the
// delivery by Hookflow's search attributes.
func TestPublishedEventIsDeliveredAndFoundByItsSearchAttributes(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	tn := newTenant(t)
	webhookID := createWebhook(t, tn, rcv.URL)
	eventID, deliveryID := publish(t, tn, map[string]any{"shiftId": "s-1"})
	eventually(t, 20*time.Second, "the delivery", func() bool { return rcv.count() == 1 })
	if got := rcv.all()[0].headers.Get("webhook-id"); got != eventID {
		t.Errorf("webhook-id %q, want the event id %q", got, eventID)
	}
	eventually(t, 10*time.Second, "the log to say success", func() bool {
		e := logEntry(t, tn)
		return e != nil && e["deliveryStatus"] == "succeeded" && e["status"] == "success"
	})
	// Visibility is written after the workflow closes, asynchronously.
	want := "delivery-" + deliveryID
	query := fmt.Sprintf(`WebhookId = %q AND DeliveryStatus = "succeeded" AND AttemptCount = 1 AND ClientId = %q`, webhookID, tn.clientID)
	eventually(t, 20*time.Second, "visibility to find the delivery", func() bool {
		ids := visible(t, query)
		return len(ids) == 1 && ids[0] == want
	})
	if ids := visible(t, fmt.Sprintf(`WebhookId = %q AND DeliveryStatus = "failed"`, webhookID)); len(ids) != 0 {
		t.Errorf("a failed-status query found %v", ids)
	}
}

// Failed attempts wait on the workflow's durable timers, then succeed.
func TestFailedAttemptsAreRetriedOnTimers(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusServiceUnavailable, http.StatusOK)
	tn := newTenant(t)
	createWebhook(t, tn, rcv.URL)
	publish(t, tn, map[string]any{})
	// 1s, then 15s: the third attempt comes after both timers.
	eventually(t, 40*time.Second, "the third attempt to succeed", func() bool {
		e := logEntry(t, tn)
		return e != nil && e["deliveryStatus"] == "succeeded"
	})
	got := rcv.all()
	if len(got) != 3 {
		t.Fatalf("receiver got %d requests, want 3", len(got))
	}
	// Each delay is jittered by up to retry.JitterFraction.
	least := func(d time.Duration) time.Duration { return time.Duration(float64(d) * (1 - retry.JitterFraction)) }
	if gap := got[1].at.Sub(got[0].at); gap < least(firstBackoff) {
		t.Errorf("second attempt %v after the first, want at least %v", gap, least(firstBackoff))
	}
	if gap := got[2].at.Sub(got[1].at); gap < least(secondBackoff) {
		t.Errorf("third attempt %v after the second, want at least %v", gap, least(secondBackoff))
	}
	if e := logEntry(t, tn); e["attempts"] != float64(3) {
		t.Errorf("log = %v, want 3 attempts", e)
	}
}

// Support's retry during a backoff is a workflow update on a server whose
// frontend has updates on (dynamic config); it attempts at once and ends the
// workflow without waiting out its timer.
func TestManualRetryDuringBackoffIsAnUpdateThatEndsTheWait(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusInternalServerError, http.StatusOK)
	tn := newTenant(t)
	createWebhook(t, tn, rcv.URL)
	_, deliveryID := publish(t, tn, map[string]any{})
	eventually(t, 20*time.Second, "the second attempt to fail into the long backoff", func() bool {
		e := logEntry(t, tn)
		return e != nil && e["deliveryStatus"] == "retrying" && e["attempts"] == float64(2)
	})
	asked := time.Now()
	path := "/api/v2/public/webhooks/logs/" + deliveryID + "/retry"
	r := do(t, http.MethodPost, path, tn.token, nil, "Idempotency-Key", "prod-ticket")
	if r.status != http.StatusCreated {
		t.Fatalf("retry: %d %s", r.status, r.raw)
	}
	if a := r.data(); a["success"] != true || a["manual"] != true || a["responseStatus"] != float64(200) {
		t.Errorf("manual attempt = %v", a)
	}
	if again := do(t, http.MethodPost, path, tn.token, nil, "Idempotency-Key", "prod-ticket"); again.status != http.StatusCreated || again.data()["id"] != r.data()["id"] {
		t.Errorf("the same key again: %d %s, want the same attempt", again.status, again.raw)
	}
	ctx, cancel := context.WithTimeout(context.Background(), secondBackoff/2)
	defer cancel()
	if err := prod.temporal.GetWorkflow(ctx, "delivery-"+deliveryID, "").Get(ctx, nil); err != nil {
		t.Errorf("the workflow did not end after the manual success: %v", err)
	}
	if waited := time.Since(asked); waited >= secondBackoff/2 {
		t.Errorf("the workflow ended %v after the retry, the length of its timer", waited)
	}
	if rcv.count() != 3 {
		t.Errorf("receiver got %d requests, want 2 scheduled and 1 manual", rcv.count())
	}
}

// After the last scheduled attempt the workflow is gone; support's retry is
// one attempt linked to the last, and visibility saw the failure.
func TestManualRetryAfterTheEnd(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t, http.StatusBadGateway)
	tn := newTenant(t)
	webhookID := createWebhook(t, tn, rcv.URL)
	_, deliveryID := publish(t, tn, map[string]any{})
	eventually(t, 45*time.Second, "the delivery to fail for good", func() bool {
		e := logEntry(t, tn)
		return e != nil && e["deliveryStatus"] == "failed"
	})
	eventually(t, 20*time.Second, "visibility to say failed", func() bool {
		ids := visible(t, fmt.Sprintf(`WebhookId = %q AND DeliveryStatus = "failed" AND AttemptCount = 3`, webhookID))
		return len(ids) == 1 && ids[0] == "delivery-"+deliveryID
	})
	last := logEntry(t, tn)["retries"].(map[string]any)["id"]
	rcv.answer(http.StatusOK)
	r := do(t, http.MethodPost, "/api/v2/public/webhooks/logs/"+deliveryID+"/retry", tn.token, nil)
	if r.status != http.StatusCreated {
		t.Fatalf("retry: %d %s", r.status, r.raw)
	}
	if a := r.data(); a["success"] != true || a["retryingFromPostId"] != last {
		t.Errorf("attempt = %v, want a success linked to %v", a, last)
	}
	if e := logEntry(t, tn); e["deliveryStatus"] != "succeeded" || rcv.count() != 4 {
		t.Errorf("log after the retry = %v, receiver %d requests", e, rcv.count())
	}
}
