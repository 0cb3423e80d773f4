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

// With a schema set on a catalog event, valid data is published and
// delivered; invalid data is a 400 listing each failure, and neither the
// event nor a delivery exists.
func TestEventSchemaGatesPublishing(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	tn := newTenant(t)
	admin := token(t, auth.Principal{Subject: "ops-1", ClientID: "ops", Roles: []auth.Role{auth.RoleAdmin}})

	// Facility webhooks take the shift category's events.
	var shiftID string
	for _, c := range s.do(http.MethodGet, "/api/webhook-categories?take=100", admin, nil).body["data"].([]any) {
		if c := c.(map[string]any); c["code"] == "shift" {
			shiftID = c["id"].(string)
		}
	}
	suffix := testenv.RandomID(4)
	code := "shift.e2e-schema-" + suffix
	eventsURL := "/api/webhook-categories/" + shiftID + "/webhook-events"
	created := s.do(http.MethodPost, eventsURL, admin, map[string]any{"name": "E2E schema", "code": code, "version": "v1"})
	if created.status != http.StatusCreated {
		t.Fatalf("create event: %d %s", created.status, created.raw)
	}
	eventURL := eventsURL + "/" + created.body["id"].(string)
	t.Cleanup(func() { s.do(http.MethodDelete, eventURL, admin, nil) })
	schemaURL := eventURL + "/schema"
	schema := `{"type":"object","properties":{"shiftId":{"type":"string"},"hours":{"type":"number","maximum":24}},"required":["shiftId"]}`
	if r := s.do(http.MethodPut, schemaURL, admin, schema); r.status != http.StatusOK {
		t.Fatalf("set schema: %d %s", r.status, r.raw)
	}

	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{code}})
	publish := func(id string, data map[string]any) response {
		return s.do(http.MethodPost, "/api/v2/events", tn.token, map[string]any{"id": id, "eventType": code, "facilityId": tn.facilities[0], "data": data})
	}
	if _, deliveries := s.publish(tn, map[string]any{"id": "valid-1-" + suffix, "eventType": code, "facilityId": tn.facilities[0],
		"data": map[string]any{"shiftId": "s-1", "hours": 8}}); len(deliveries) != 1 {
		t.Fatalf("%d deliveries, want 1", len(deliveries))
	}
	eventually(t, 10*time.Second, "the delivery of the valid event", func() bool { return rcv.count() == 1 })

	r := publish("invalid-"+suffix, map[string]any{"shiftId": 7, "hours": 30})
	want := `{"message":["data/hours: maximum: got 30, want 24","data/shiftId: got number, want string"],"error":"Bad Request","statusCode":400}`
	if r.status != http.StatusBadRequest || r.raw != want {
		t.Fatalf("invalid publish: %d %s\nwant %s", r.status, r.raw, want)
	}

	// The refusal was synchronous: once a later valid event is delivered,
	// the receiver and the logs hold the two valid ones only.
	s.publish(tn, map[string]any{"id": "valid-2-" + suffix, "eventType": code, "facilityId": tn.facilities[0], "data": map[string]any{"shiftId": "s-2"}})
	eventually(t, 10*time.Second, "the delivery of the second valid event", func() bool { return rcv.count() == 2 })
	for i := range 2 {
		var body map[string]any
		if err := json.Unmarshal(rcv.request(i).body, &body); err != nil || body["id"] == "invalid-"+suffix {
			t.Errorf("delivered %s (%v)", rcv.request(i).body, err)
		}
	}
	logs := s.logs(tn.token, "") // the tenant is new: its one webhook's
	if len(logs) != 2 {
		t.Errorf("%d logs, want 2: %v", len(logs), logs)
	}
	for _, l := range logs {
		if payload, _ := json.Marshal(l["requestPayload"]); strings.Contains(string(payload), "invalid-"+suffix) {
			t.Errorf("the refused event has a delivery: %v", l)
		}
	}
}
