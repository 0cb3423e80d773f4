package e2e_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/hookflow/hookflow/auth"
)

// TestCustomHeadersArriveAndAreInTheRecordedRequest: a public webhook's and
// a subscription's custom headers reach the receiver beside the verified
// Standard Webhooks headers, the subscription's activity shows them in the
// recorded request (rawMessage), and a header named like Hookflow's own is
// refused on create and on patch.
func TestCustomHeadersArriveAndAreInTheRecordedRequest(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	tn := newTenant(t)

	// A public facility webhook.
	facilityRcv := newReceiver(t)
	hook := s.createWebhook(tn, "facility", map[string]any{"url": facilityRcv.URL, "events": []string{"all"},
		"headers": map[string]string{"Authorization": "Bearer facility-token", "X-Tenant": "acme"}})
	expect(t, s.do(http.MethodPatch, "/api/v2/public/webhooks/facility/"+hook["id"].(string), tn.token,
		map[string]any{"headers": map[string]string{"Webhook-Timestamp": "0"}}), http.StatusBadRequest, badRequest("headers.Webhook-Timestamp is reserved"))
	expect(t, s.do(http.MethodPost, "/api/v2/public/webhooks/user", tn.token,
		map[string]any{"url": facilityRcv.URL, "events": []string{"all"}, "headers": map[string]string{"webhook-signature": "v1,forged"}}),
		http.StatusBadRequest, badRequest("headers.webhook-signature is reserved"))
	eventID, _ := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{"shiftId": "s-1"}})
	eventually(t, 10*time.Second, "the facility webhook's delivery", func() bool { return facilityRcv.count() == 1 })
	got := facilityRcv.request(0)
	if got.headers.Get("Authorization") != "Bearer facility-token" || got.headers.Get("X-Tenant") != "acme" {
		t.Errorf("the receiver got %v, want the custom headers", got.headers)
	}
	if !verifies(t, nil, strs(hook["secrets"])[0], got) || got.headers.Get("webhook-id") != eventID || got.headers.Get("Content-Type") != "application/json" {
		t.Errorf("the delivery with custom headers does not verify, or Hookflow's own headers lost: %v", got.headers)
	}

	// The public log shows the attempt's exact request: to its owner with
	// the custom headers, to support without them (they may hold a credential).
	logs := s.must(http.StatusCreated, http.MethodGet, "/api/v2/public/webhooks/logs", tn.token, nil)
	logID := logs["data"].([]any)[0].(map[string]any)["id"].(string)
	support := token(t, auth.Principal{ClientID: "desk", Roles: []auth.Role{auth.RoleSupport}})
	for who, tok := range map[string]string{"owner": tn.token, "support": support} {
		attempt := s.must(http.StatusOK, http.MethodGet, "/api/v2/public/webhooks/logs/"+logID, tok, nil)["data"].(map[string]any)["history"].([]any)[0].(map[string]any)
		req, _ := attempt["request"].(map[string]any)
		headers, _ := req["headers"].(map[string]any)
		ts, _ := strconv.ParseInt(got.headers.Get("webhook-timestamp"), 10, 64)
		if req["body"] != string(got.body) || headers["webhook-signature"] != got.headers.Get("webhook-signature") || req["timestamp"] != float64(ts) {
			t.Errorf("%s: the log shows request %v; the receiver got %s with %v", who, req, got.body, got.headers)
		}
		if wantAuth := map[string]any{"owner": "Bearer facility-token", "support": nil}[who]; headers["authorization"] != wantAuth {
			t.Errorf("%s: the log's authorization header is %v, want %v", who, headers["authorization"], wantAuth)
		}
	}

	// An organization subscription, its headers set through the API.
	org := newOrganization(t)
	subRcv := newReceiver(t)
	expect(t, s.do(http.MethodPost, "/api/organizations/"+org.id+"/webhook-subscriptions", org.token,
		map[string]any{"postUri": subRcv.URL, "events": []string{"all"}, "isDevelopment": true, "headers": map[string]string{"WEBHOOK-ID": "forged"}}),
		http.StatusBadRequest, badRequest("headers.WEBHOOK-ID is reserved"))
	r := s.do(http.MethodPost, "/api/organizations/"+org.id+"/webhook-subscriptions", org.token,
		map[string]any{"postUri": subRcv.URL, "events": []string{"all"}, "isDevelopment": true, "headers": map[string]string{"X-Api-Key": "org-key-1"}})
	if r.status != http.StatusCreated {
		t.Fatalf("subscribe: %d %s", r.status, r.raw)
	}
	sub := r.body
	s.publish(tn, map[string]any{"eventType": "shift.created", "organizationId": org.id, "data": map[string]any{"shiftId": "s-2"}})
	eventually(t, 10*time.Second, "the subscription's delivery", func() bool { return subRcv.count() == 1 })
	received := subRcv.request(0)
	if received.headers.Get("X-Api-Key") != "org-key-1" || !verifies(t, nil, sub["secretKey"].(string), received) {
		t.Errorf("the subscription's receiver got %v", received.headers)
	}
	activity := s.must(http.StatusOK, http.MethodGet, "/api/organizations/"+org.id+"/webhook-subscriptions/"+sub["id"].(string)+"/activity", org.token, nil)
	posts := items(activity)
	if len(posts) != 1 {
		t.Fatalf("activity = %v, want the one post", activity)
	}
	recorded, _ := posts[0]["rawMessage"].(map[string]any)
	if recorded["x-api-key"] != "org-key-1" || recorded["webhook-signature"] != received.headers.Get("webhook-signature") {
		t.Errorf("the recorded request shows %v; the receiver got %v", recorded, received.headers)
	}
}

func strs(v any) []string {
	items, _ := v.([]any)
	out := make([]string, 0, len(items))
	for _, i := range items {
		s, _ := i.(string)
		out = append(out, s)
	}
	return out
}
