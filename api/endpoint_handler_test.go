package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
)

func TestEndpointHealthOfANewWebhookIsClosedWithEmptyStats(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	w := createWebhook(t, h, userPath, tok, map[string]any{"url": "https://example.com/a", "events": []string{"all"}})
	id := w["id"].(string)
	empty := `{"attempts":0,"succeeded":0,"failed":0,"successRate":null,"byResult":{"2xx":0,"3xx":0,"4xx":0,"5xx":0,"timeout":0,"error":0}}`
	expectJSON(t, h.do(http.MethodGet, userPath+"/"+id+"/health", tok, nil), http.StatusOK, `{"data":{"webhookId":"`+id+`","state":"closed",
		"consecutiveFailures":0,"failingSince":null,"openedAt":null,"nextProbeAt":null,"disabledAt":null,"disabledReason":null,
		"lastSuccessAt":null,"lastFailureAt":null,"rateLimit":null,"stats":{"lastHour":`+empty+`,"lastDay":`+empty+`},"changes":[]}}`)
}

func TestEndpointDisableThenEnableRecordsBothChangesWithTheCaller(t *testing.T) {
	h := newHarness(t)
	tok := token(t, auth.Principal{Subject: "alice", ClientID: "client-" + testenv.RandomID(4), Roles: []auth.Role{auth.RoleIntegrator}})
	w := createWebhook(t, h, userPath, tok, map[string]any{"url": "https://example.com/a", "events": []string{"all"}})
	base := userPath + "/" + w["id"].(string)

	d := mustStatus(t, h.do(http.MethodPost, base+"/disable", tok, map[string]any{"reason": "receiver migration"}), http.StatusOK)["data"].(map[string]any)
	if d["state"] != "disabled" || d["disabledReason"] != "receiver migration" || d["disabledAt"] == nil {
		t.Fatalf("after disable: %v", d)
	}
	changes := d["changes"].([]any)
	if len(changes) != 1 || changes[0].(map[string]any)["kind"] != "disabled" || changes[0].(map[string]any)["actor"] != "alice" {
		t.Fatalf("changes = %v", changes)
	}
	// The body of enable may be left out.
	e := mustStatus(t, h.do(http.MethodPost, base+"/enable", tok, nil), http.StatusOK)["data"].(map[string]any)
	if e["state"] != "closed" || e["disabledAt"] != nil || e["recovery"] != nil {
		t.Fatalf("after enable: %v", e)
	}
	if changes := e["changes"].([]any); len(changes) != 2 || changes[0].(map[string]any)["kind"] != "enabled" {
		t.Fatalf("changes = %v, want enabled first", changes)
	}
}

func TestEndpointRecoverRefusesBadWindowsAndValues(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	w := createWebhook(t, h, userPath, tok, map[string]any{"url": "https://example.com/a", "events": []string{"all"}})
	path := userPath + "/" + w["id"].(string) + "/recover"
	now := time.Now().UTC()
	at := func(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }
	tests := []struct {
		name string
		body map[string]any
		want string
	}{
		{"no since", map[string]any{}, `["since must be a string","since must be RFC 3339 date"]`},
		{"bad since", map[string]any{"since": "yesterday"}, `["since must be RFC 3339 date"]`},
		{"until before since", map[string]any{"since": at(-time.Hour), "until": at(-2 * time.Hour)}, `["since must be a date before until"]`},
		{"until in the future", map[string]any{"since": at(-time.Hour), "until": at(time.Hour)}, `["until must not be in the future"]`},
		{"window too long", map[string]any{"since": at(-15 * 24 * time.Hour)}, `["until must be at most 14 days after since (the log retention)"]`},
		{"unknown status", map[string]any{"since": at(-time.Hour), "status": "succeeded"}, `["status must be one of the following values: failed, retrying"]`},
		{"unknown property", map[string]any{"since": at(-time.Hour), "limit": 3}, `["property limit should not exist"]`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectJSON(t, h.do(http.MethodPost, path, tok, tt.body), http.StatusBadRequest, `{"message":`+tt.want+`,"error":"Bad Request","statusCode":400}`)
		})
	}
	r := h.do(http.MethodPost, path, tok, map[string]any{"since": at(-time.Hour), "eventType": "no.such.event"})
	if msgs := strs(mustStatus(t, r, http.StatusBadRequest)["message"]); len(msgs) != 1 || msgs[0][:40] != "eventType must be one of the following v" {
		t.Errorf("unknown event type: %v", msgs)
	}
	// The enable's recover is checked alike, and nothing is enabled.
	r = h.do(http.MethodPost, userPath+"/"+w["id"].(string)+"/enable", tok, map[string]any{"recover": map[string]any{"since": at(-time.Hour), "until": at(-2 * time.Hour)}})
	expectJSON(t, r, http.StatusBadRequest, `{"message":["recover.since must be a date before until"],"error":"Bad Request","statusCode":400}`)
}

func TestEndpointRoutesHideAnotherClientsWebhookAndOpenToSupport(t *testing.T) {
	h := newHarness(t)
	owner, _ := integrator(t, "P-1")
	other, _ := integrator(t, "P-1")
	w := createWebhook(t, h, facilityPath, owner, map[string]any{"url": "https://example.com/a", "events": []string{"all"}})
	base := facilityPath + "/" + w["id"].(string)
	notFound := `{"message":"Webhook not found","error":"Not Found","statusCode":404}`
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	expectJSON(t, h.do(http.MethodGet, base+"/health", other, nil), http.StatusNotFound, notFound)
	expectJSON(t, h.do(http.MethodPost, base+"/disable", other, nil), http.StatusNotFound, notFound)
	expectJSON(t, h.do(http.MethodPost, base+"/recover", other, map[string]any{"since": since}), http.StatusNotFound, notFound)
	// The other kind's path does not find it either.
	expectJSON(t, h.do(http.MethodGet, userPath+"/"+w["id"].(string)+"/health", owner, nil), http.StatusNotFound, notFound)

	support := token(t, auth.Principal{Subject: "support-1", ClientID: "support", Roles: []auth.Role{auth.RoleSupport}})
	mustStatus(t, h.do(http.MethodGet, base+"/health", support, nil), http.StatusOK)
	rec := mustStatus(t, h.do(http.MethodPost, base+"/recover", support, map[string]any{"since": since}), http.StatusAccepted)["data"].(map[string]any)
	if rec["state"] != "running" || rec["found"] != float64(0) || rec["status"] != nil {
		t.Fatalf("recovery = %v", rec)
	}
	read := mustStatus(t, h.do(http.MethodGet, base+"/recoveries/"+rec["id"].(string), owner, nil), http.StatusOK)["data"].(map[string]any)
	if read["id"] != rec["id"] {
		t.Fatalf("read = %v", read)
	}
	expectJSON(t, h.do(http.MethodGet, base+"/recoveries/"+rec["id"].(string), other, nil), http.StatusNotFound, notFound)
	expectJSON(t, h.do(http.MethodGet, base+"/recoveries/not-a-uuid", owner, nil), http.StatusNotFound,
		`{"message":"Recovery not found","error":"Not Found","statusCode":404}`)
}

func TestEndpointRecoverWithAKeyAnswersTheSameRecovery(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	w := createWebhook(t, h, userPath, tok, map[string]any{"url": "https://example.com/a", "events": []string{"all"}})
	path := h.url + userPath + "/" + w["id"].(string) + "/recover"
	body := map[string]any{"since": time.Now().Add(-time.Hour).UTC().Format(time.RFC3339), "status": "failed"}
	first := fromTestenv(testenv.Do(t, http.MethodPost, path, tok, body, "Idempotency-Key", "outage-1"))
	second := fromTestenv(testenv.Do(t, http.MethodPost, path, tok, body, "Idempotency-Key", "outage-1"))
	a := mustStatus(t, first, http.StatusAccepted)["data"].(map[string]any)
	b := mustStatus(t, second, http.StatusOK)["data"].(map[string]any)
	if a["id"] != b["id"] || a["status"] != "failed" {
		t.Fatalf("first %v, second %v: want the same recovery", a, b)
	}
	third := fromTestenv(testenv.Do(t, http.MethodPost, path, tok, body))
	if c := mustStatus(t, third, http.StatusAccepted)["data"].(map[string]any); c["id"] == a["id"] {
		t.Fatalf("without a key, a new recovery: %v", c)
	}
}

func TestSubscriptionEndpointRoutesAreOrgScopedAndBare(t *testing.T) {
	h := newHarness(t)
	org, other := newOrg(), newOrg()
	tok := orgToken(t, org)
	sub := newSubscription(t, h, tok, org, "all")
	base := subscriptionURL(org, sub)
	// Other tests count the organizations subscribed to every event.
	t.Cleanup(func() { h.do(http.MethodDelete, base, tok, nil) })
	health := mustStatus(t, h.do(http.MethodGet, base+"/health", tok, nil), http.StatusOK)
	if health["webhookId"] != sub["id"] || health["state"] != "closed" {
		t.Fatalf("health = %v", health)
	}
	forbidden := `{"message":"Forbidden Resource","error":"Forbidden","statusCode":403}`
	expectJSON(t, h.do(http.MethodGet, base+"/health", orgToken(t, other), nil), http.StatusForbidden, forbidden)
	expectJSON(t, h.do(http.MethodPost, base+"/disable", orgToken(t, other), nil), http.StatusForbidden, forbidden)
	// Another organization's subscription under one's own organization is not found.
	foreign := newSubscription(t, h, orgToken(t, other), other, "all")
	t.Cleanup(func() { h.do(http.MethodDelete, subscriptionURL(other, foreign), orgToken(t, other), nil) })
	expectJSON(t, h.do(http.MethodGet, subscriptionsURL(org)+"/"+foreign["id"].(string)+"/health", tok, nil), http.StatusNotFound,
		`{"message":"Webhook subscription not found","error":"Not Found","statusCode":404}`)

	d := mustStatus(t, h.do(http.MethodPost, base+"/disable", tok, map[string]any{}), http.StatusOK)
	if d["state"] != "disabled" || d["disabledReason"] != "disabled through the API" {
		t.Fatalf("after disable: %v", d)
	}
	since := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	e := mustStatus(t, h.do(http.MethodPost, base+"/enable", tok, map[string]any{"recover": map[string]any{"since": since}}), http.StatusOK)
	rec, _ := e["recovery"].(map[string]any)
	if e["state"] != "closed" || rec == nil || rec["state"] != "running" {
		t.Fatalf("enable with recover = %v", e)
	}
	read := mustStatus(t, h.do(http.MethodGet, base+"/recoveries/"+rec["id"].(string), tok, nil), http.StatusOK)
	if read["id"] != rec["id"] {
		t.Fatalf("read = %v", read)
	}
}
