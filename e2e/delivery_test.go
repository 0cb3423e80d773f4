package e2e_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"

	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/egress"
)

const (
	seedSecretA = "sDV1aKqitCLClI12m7UPFbAAvZfZquJw"
	seedSecretB = "mryefgHPBVHJwux0o3BYW7hPM0BZlcCa"
)

var openGuard = egress.Guard{AllowPrivate: true}

func TestSignedDeliveryVerifiesWithTheReferenceLibraryAndBothSecrets(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	tn := newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL + "/hook", "events": []string{"shift.created"}, "secrets": []string{seedSecretA, seedSecretB}})
	eventID, deliveries := s.publish(tn, map[string]any{"id": "evt-" + tn.clientID, "eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{"shiftId": "s-1"}})
	if len(deliveries) != 1 {
		t.Fatalf("%d deliveries, want 1", len(deliveries))
	}
	eventually(t, 10*time.Second, "the delivery", func() bool { return rcv.count() == 1 })
	got := rcv.request(0)
	for _, secret := range []string{seedSecretA, seedSecretB} {
		wh, err := standardwebhooks.NewWebhook(secret)
		if err != nil {
			t.Fatal(err)
		}
		if err := wh.Verify(got.body, got.headers); err != nil {
			t.Errorf("reference library does not verify with secret %s...: %v", secret[:4], err)
		}
	}
	if got.headers.Get("webhook-id") != eventID || !strings.HasPrefix(got.headers.Get("User-Agent"), "Hookflow/") || got.headers.Get("Content-Type") != "application/json" {
		t.Errorf("headers: %v", got.headers)
	}
	var body map[string]any
	if err := json.Unmarshal(got.body, &body); err != nil {
		t.Fatal(err)
	}
	if body["id"] != eventID || body["eventType"] != "shift.created" || body["createdAt"] == "" || body["data"].(map[string]any)["shiftId"] != "s-1" {
		t.Errorf("body = %s", got.body)
	}
	eventually(t, 10*time.Second, "the log to show success", func() bool {
		logs := s.logs(tn.token, "")
		return len(logs) == 1 && logs[0]["status"] == "success"
	})
	entry := s.logs(tn.token, "")[0]
	payload, _ := json.Marshal(entry["requestPayload"])
	if !jsonEqual(payload, got.body) {
		t.Errorf("requestPayload %s differs from what was sent %s", payload, got.body)
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return string(ja) == string(jb)
}

func TestFailureThenSuccessIsRetriedAndLogged(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{300 * time.Millisecond, time.Hour}})
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusOK)
	tn := newTenant(t)
	s.createWebhook(tn, "user", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "facility.creation.accepted", "clientId": tn.clientID, "data": map[string]any{"facilityId": "F"}})
	eventually(t, 15*time.Second, "the retry to succeed", func() bool {
		logs := s.logs(tn.token, "")
		return len(logs) == 1 && logs[0]["status"] == "success"
	})
	if rcv.count() != 2 {
		t.Fatalf("receiver got %d requests, want 2", rcv.count())
	}
	if gap := rcv.request(1).at.Sub(rcv.request(0).at); gap < 240*time.Millisecond {
		t.Errorf("retry after %v, want the schedule's ~300ms (±20%%)", gap)
	}
	if a, b := rcv.request(0).headers.Get("webhook-id"), rcv.request(1).headers.Get("webhook-id"); a != b {
		t.Errorf("webhook-id changed between attempts: %s, %s", a, b)
	}
	entry := s.logs(tn.token, "")[0]
	retries := entry["retries"].(map[string]any)
	if entry["id"] != ids[0] || entry["attempts"] != float64(2) || retries["retryAttempt"] != float64(1) || entry["nextRetryAt"] != nil || entry["responseStatus"] != float64(200) {
		t.Errorf("log entry = %v", entry)
	}
	var firstNextRetry *time.Time
	attempts, err := testDB.Stores.Deliveries.Attempts(context.Background(), ids[0])
	if err == nil && (len(attempts) == 0 || attempts[0].Number != 1) {
		err = fmt.Errorf("no attempt 1 among %d", len(attempts))
	}
	if err == nil {
		firstNextRetry = attempts[0].NextRetryAt
	}
	if err != nil || firstNextRetry == nil {
		t.Errorf("first attempt's next_retry_at = %v (%v), want it recorded before the wait", firstNextRetry, err)
	}
}

func TestPermanentFailureEndsFailedWithEveryAttemptRecorded(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{100 * time.Millisecond, 100 * time.Millisecond}})
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	tn := newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "shift.cancelled", "facilityId": tn.facilities[1], "data": map[string]any{}})
	eventually(t, 15*time.Second, "the delivery to fail", func() bool {
		logs := s.logs(tn.token, "")
		return len(logs) == 1 && logs[0]["deliveryStatus"] == "failed"
	})
	entry := s.logs(tn.token, "")[0]
	if entry["status"] != "failure" || entry["attempts"] != float64(3) || entry["nextRetryAt"] != nil || rcv.count() != 3 {
		t.Errorf("entry = %v after %d requests; want failure after 3", entry, rcv.count())
	}
	attempts, err := testDB.Stores.Deliveries.Attempts(context.Background(), ids[0])
	rows := 0
	for _, a := range attempts {
		if !a.Success && a.ResponseStatus == 503 {
			rows++
		}
	}
	if err != nil || rows != 3 {
		t.Errorf("%d failed attempt rows (%v), want 3", rows, err)
	}
}

func TestIdempotentPublishDeliversOnce(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	tn := newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"shift.created"}})
	body := map[string]any{"id": "idem-" + tn.clientID, "eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{"n": 1}}
	_, first := s.publish(tn, body)
	_, again := s.publish(tn, body)
	if len(first) != 1 || len(again) != 1 || first[0] != again[0] {
		t.Fatalf("deliveries %v then %v, want the same one", first, again)
	}
	eventually(t, 10*time.Second, "the delivery", func() bool { return rcv.count() == 1 })
	_, third := s.publish(tn, body)
	if third[0] != first[0] {
		t.Errorf("a publish after delivery made a new delivery %s", third[0])
	}
	time.Sleep(300 * time.Millisecond) // nothing more may arrive
	if rcv.count() != 1 {
		t.Errorf("receiver got %d requests, want exactly 1", rcv.count())
	}
}

func TestRoutingByFacilityClientAndEvent(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	tn, other := newTenant(t), newTenant(t)
	facilityAll := s.createWebhook(tn, "facility", map[string]any{"url": "http://127.0.0.1:9/a", "events": []string{"all"}, "facilities": []string{tn.facilities[0]}})
	facilityOne := s.createWebhook(tn, "facility", map[string]any{"url": "http://127.0.0.1:9/b", "events": []string{"shift.created"}})
	s.createWebhook(tn, "facility", map[string]any{"url": "http://127.0.0.1:9/c", "events": []string{"shift.cancelled"}})
	userHook := s.createWebhook(tn, "user", map[string]any{"url": "http://127.0.0.1:9/u", "events": []string{"facility.creation.accepted"}})
	s.createWebhook(other, "user", map[string]any{"url": "http://127.0.0.1:9/o", "events": []string{"all"}})
	deleted := s.createWebhook(tn, "facility", map[string]any{"url": "http://127.0.0.1:9/d", "events": []string{"all"}})
	if r := s.do(http.MethodDelete, "/api/v2/public/webhooks/facility/"+deleted["id"].(string), tn.token, nil); r.status != http.StatusOK {
		t.Fatal(r.raw)
	}
	webhooksOf := func(body map[string]any) map[string]bool {
		r := s.do(http.MethodPost, "/api/v2/events", tn.token, body)
		if r.status != http.StatusAccepted {
			t.Fatalf("publish: %d %s", r.status, r.raw)
		}
		out := map[string]bool{}
		for _, d := range r.data()["deliveries"].([]any) {
			out[d.(map[string]any)["webhookId"].(string)] = true
		}
		return out
	}
	got := webhooksOf(map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
	if len(got) != 2 || !got[facilityAll["id"].(string)] || !got[facilityOne["id"].(string)] {
		t.Errorf("shift.created at facility 1 went to %v, want the all and shift.created webhooks", got)
	}
	got = webhooksOf(map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[1], "data": map[string]any{}})
	if len(got) != 1 || !got[facilityOne["id"].(string)] {
		t.Errorf("shift.created at facility 2 went to %v, want only the webhook of both facilities", got)
	}
	got = webhooksOf(map[string]any{"eventType": "facility.creation.accepted", "clientId": tn.clientID, "facilityId": tn.facilities[0], "data": map[string]any{}})
	if len(got) != 1 || !got[userHook["id"].(string)] {
		t.Errorf("facility.creation.accepted went to %v, want only the client's user webhook", got)
	}
}

func TestSSRFGuardRefusesPrivateTargetsWithoutNamingTheAddress(t *testing.T) {
	s := newStack(t, stackOptions{guard: egress.Guard{}})
	rcv := newReceiver(t)
	tn := newTenant(t)
	// A name that resolves to loopback, refused at connect time.
	url := strings.Replace(rcv.URL, "127.0.0.1", "localhost", 1)
	s.createWebhook(tn, "facility", map[string]any{"url": url, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
	var errText string
	eventually(t, 10*time.Second, "the refused attempt", func() bool {
		attempts, err := testDB.Stores.Deliveries.Attempts(context.Background(), ids[0])
		if err != nil || len(attempts) == 0 {
			return false
		}
		errText = attempts[0].Error
		return true
	})
	// Integrators learn that it was refused, not what the name resolved to.
	if errText != egress.ErrForbiddenTarget.Error() || rcv.count() != 0 {
		t.Errorf("attempt error %q with %d requests received; want %q before any request", errText, rcv.count(), egress.ErrForbiddenTarget)
	}
}

func TestPublishNeedsThePublisherRoleAndValidBody(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	integratorOnly := token(t, auth.Principal{ClientID: "c", Roles: []auth.Role{auth.RoleIntegrator}})
	if r := s.do(http.MethodPost, "/api/v2/events", integratorOnly, map[string]any{"eventType": "shift.created", "data": map[string]any{}}); r.status != http.StatusForbidden {
		t.Errorf("integrator publish: %d %s", r.status, r.raw)
	}
	tn := newTenant(t)
	r := s.do(http.MethodPost, "/api/v2/events", tn.token, map[string]any{"eventType": "shift.exploded", "data": "x", "extra": 1})
	if r.status != http.StatusBadRequest {
		t.Fatalf("bad publish: %d %s", r.status, r.raw)
	}
	msgs := r.body["message"].([]any)
	if len(msgs) != 3 || !strings.HasPrefix(msgs[0].(string), "eventType must be one of the following values: shift.request.created,") ||
		msgs[1] != "data must be an object" || msgs[2] != "property extra should not exist" {
		t.Errorf("messages = %v", msgs)
	}
	big := map[string]any{"eventType": "shift.created", "data": map[string]any{"blob": strings.Repeat("x", 70<<10)}}
	if r := s.do(http.MethodPost, "/api/v2/events", tn.token, big); r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized publish: %d", r.status)
	}
}

func TestAnEditedURLAndSecretApplyToTheNextAttempt(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour}})
	before, after := newReceiver(t, http.StatusInternalServerError), newReceiver(t)
	tn := newTenant(t)
	w := s.createWebhook(tn, "facility", map[string]any{"url": before.URL, "events": []string{"all"}, "secrets": []string{seedSecretA}})
	_, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
	eventually(t, 10*time.Second, "the first attempt", func() bool { return before.count() == 1 })
	path := "/api/v2/public/webhooks/facility/" + w["id"].(string)
	if r := s.do(http.MethodPatch, path, tn.token, map[string]any{"url": after.URL, "secrets": []string{seedSecretB}}); r.status != http.StatusCreated {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	// Support cuts the hour short; the attempt goes where the webhook points now.
	support := token(t, auth.Principal{ClientID: "desk", Roles: []auth.Role{auth.RoleSupport}})
	if r := s.do(http.MethodPost, "/api/v2/public/webhooks/logs/"+ids[0]+"/retry", support, nil); r.status != http.StatusCreated || r.data()["url"] != after.URL {
		t.Fatalf("retry: %d %s", r.status, r.raw)
	}
	if after.count() != 1 || before.count() != 1 {
		t.Fatalf("requests: old URL %d, new URL %d; want 1 and 1", before.count(), after.count())
	}
	got := after.request(0)
	wh, _ := standardwebhooks.NewWebhook(seedSecretB)
	if err := wh.Verify(got.body, got.headers); err != nil {
		t.Errorf("the new secret does not verify the next attempt: %v", err)
	}
	if old, _ := standardwebhooks.NewWebhook(seedSecretA); old.Verify(got.body, got.headers) == nil {
		t.Error("the replaced secret still verifies")
	}
}
