package e2e_test

import (
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow/auth"
)

// A facility taken out of a client's token: the webhook keeps the
// facilities it was created with (Hookflow holds no token at delivery time),
// the logs hide the revoked facility at once, and a PATCH with the new token
// cannot carry it forward.
func TestARevokedFacilityIsHiddenFromTheLogsAndDroppedByTheNextPatch(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	tn := newTenant(t)
	revoked, kept := tn.facilities[0], tn.facilities[1]
	w := s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	hookPath := "/api/v2/public/webhooks/facility/" + w["id"].(string)
	_, ofRevoked := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": revoked, "data": map[string]any{}})
	_, ofKept := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": kept, "data": map[string]any{}})
	eventually(t, 10*time.Second, "both deliveries", func() bool { return rcv.count() == 2 })

	narrowed := token(t, auth.Principal{ClientID: tn.clientID, Facilities: []string{kept}, Roles: []auth.Role{auth.RoleIntegrator, auth.RolePublisher}})
	if logs := s.logs(tn.token, ""); len(logs) != 2 {
		t.Fatalf("logs with the old token = %d, want 2", len(logs))
	}
	logs := s.logs(narrowed, "")
	if len(logs) != 1 || logs[0]["id"] != ofKept[0] || logs[0]["facilityId"] != kept {
		t.Fatalf("logs with the narrowed token = %v, want only %s's delivery", logs, kept)
	}
	if r := s.do(http.MethodGet, "/api/v2/public/webhooks/logs?limit=1", narrowed, nil); r.body["total"] != float64(1) {
		t.Errorf("total with the narrowed token = %v, want 1", r.body["total"])
	}
	notFound := `{"message":"Webhook log not found","error":"Not Found","statusCode":404}`
	for _, r := range []response{
		s.do(http.MethodGet, "/api/v2/public/webhooks/logs/"+ofRevoked[0], narrowed, nil),
		s.do(http.MethodPost, "/api/v2/public/webhooks/logs/"+ofRevoked[0]+"/retry", narrowed, nil),
	} {
		if r.status != http.StatusNotFound || r.raw != notFound {
			t.Errorf("revoked facility's log: %d %s", r.status, r.raw)
		}
	}
	if r := s.do(http.MethodGet, "/api/v2/public/webhooks/logs/"+ofKept[0], narrowed, nil); r.status != http.StatusOK {
		t.Errorf("kept facility's log: %d %s", r.status, r.raw)
	}

	// Until patched, the webhook still routes the revoked facility's events.
	if _, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": revoked, "data": map[string]any{}}); len(ids) != 1 {
		t.Fatalf("deliveries before the patch = %v, want the stored facilities to route", ids)
	}
	if r := s.do(http.MethodPatch, hookPath, narrowed, map[string]any{"facilities": []string{revoked, kept}}); r.status != http.StatusForbidden {
		t.Errorf("patch restating the revoked facility: %d %s", r.status, r.raw)
	}
	r := s.do(http.MethodPatch, hookPath, narrowed, map[string]any{"events": []string{"all"}})
	if r.status != http.StatusCreated || !slices.Equal(facilitiesOf(r.data()), []string{kept}) {
		t.Fatalf("patch leaving facilities out: %d %s, want facilities [%s]", r.status, r.raw, kept)
	}
	if _, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": revoked, "data": map[string]any{}}); len(ids) != 0 {
		t.Errorf("deliveries after the patch = %v, want none for the revoked facility", ids)
	}
	if _, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": kept, "data": map[string]any{}}); len(ids) != 1 {
		t.Errorf("deliveries to the kept facility = %v, want 1", ids)
	}
	// Support reads every client's logs, revoked facilities included.
	support := token(t, auth.Principal{ClientID: "desk", Roles: []auth.Role{auth.RoleSupport}})
	if r := s.do(http.MethodGet, "/api/v2/public/webhooks/logs/"+ofRevoked[0], support, nil); r.status != http.StatusOK {
		t.Errorf("support reading the revoked facility's log: %d %s", r.status, r.raw)
	}
}

func facilitiesOf(webhook map[string]any) []string {
	var out []string
	for _, f := range webhook["facilities"].([]any) {
		out = append(out, f.(string))
	}
	return out
}
