package e2e_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
)

// An event added to the catalog through the ECG API is subscribable and
// delivered at once; deactivated, it is refused for publishing and for new
// webhooks, with no restart.
func TestCatalogEventAddedThroughTheAPIIsDeliveredAndRefusedOnceDeactivated(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	tn := newTenant(t)
	admin := token(t, auth.Principal{Subject: "ops-1", ClientID: "ops", Roles: []auth.Role{auth.RoleAdmin}})

	var shiftID string
	for _, c := range s.do(http.MethodGet, "/api/webhook-categories?take=100", admin, nil).body["data"].([]any) {
		if c := c.(map[string]any); c["code"] == "shift" {
			shiftID = c["id"].(string)
		}
	}
	code := "shift.e2e-" + testenv.RandomID(3)
	eventsURL := "/api/webhook-categories/" + shiftID + "/webhook-events"
	created := s.do(http.MethodPost, eventsURL, admin, map[string]any{"name": "E2E", "code": code, "version": "v1"})
	if created.status != http.StatusCreated {
		t.Fatalf("create event: %d %s", created.status, created.raw)
	}
	eventURL := eventsURL + "/" + created.body["id"].(string)
	t.Cleanup(func() { s.do(http.MethodDelete, eventURL, admin, nil) })

	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{code}})
	publish := map[string]any{"eventType": code, "facilityId": tn.facilities[0], "data": map[string]any{"n": 1}}
	_, deliveries := s.publish(tn, publish)
	if len(deliveries) != 1 {
		t.Fatalf("%d deliveries, want 1", len(deliveries))
	}
	eventually(t, 10*time.Second, "the delivery of the new event", func() bool { return rcv.count() == 1 })
	var body map[string]any
	if err := json.Unmarshal(rcv.request(0).body, &body); err != nil || body["eventType"] != code {
		t.Fatalf("delivered %s (%v)", rcv.request(0).body, err)
	}

	if r := s.do(http.MethodPost, eventURL+"/deactivate", admin, nil); r.status != http.StatusOK || r.raw != `{"value":true}` {
		t.Fatalf("deactivate: %d %s", r.status, r.raw)
	}
	r := s.do(http.MethodPost, "/api/v2/events", tn.token, publish)
	if r.status != http.StatusBadRequest || !strings.Contains(r.raw, "eventType must be one of the following values: shift.request.created") || strings.Contains(r.raw, code) {
		t.Errorf("publish of a deactivated event: %d %s", r.status, r.raw)
	}
	r = s.do(http.MethodPost, "/api/v2/public/webhooks/facility", tn.token, map[string]any{"url": rcv.URL, "events": []string{code}})
	if r.status != http.StatusBadRequest || !strings.Contains(r.raw, "each value in events must be one of the following values: ") || strings.Contains(r.raw, code) {
		t.Errorf("webhook for a deactivated event: %d %s", r.status, r.raw)
	}
	if rcv.count() != 1 {
		t.Errorf("receiver got %d requests, want the first only", rcv.count())
	}
}
