package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

// rateLimitCases are the rateLimit values both APIs refuse, with the
// message each gets.
var rateLimitCases = []struct {
	name  string
	value any
	want  string
}{
	{"too big", 1001, "rateLimit must not be greater than 1000"},
	{"zero", 0, "rateLimit must not be less than 1"},
	{"negative", -5, "rateLimit must not be less than 1"},
	{"not an integer", 2.5, "rateLimit must be an integer number"},
	{"a word", "ten", "rateLimit must be an integer number"},
}

func TestPublicWebhookRateLimitIsValidatedStoredAndRemovedByNull(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	for _, path := range []string{facilityPath, userPath} {
		events := []string{"shift.created"}
		if path == userPath {
			events = []string{"all"}
		}
		for _, tt := range rateLimitCases {
			t.Run(path+" "+tt.name, func(t *testing.T) {
				expectJSON(t, h.do(http.MethodPost, path, tok, map[string]any{"url": "https://example.com/rl", "events": events, "rateLimit": tt.value}),
					http.StatusBadRequest, badRequest(tt.want))
			})
		}
		created := mustStatus(t, h.do(http.MethodPost, path, tok, map[string]any{"url": "https://example.com/rl", "events": events, "rateLimit": 25}), http.StatusCreated)["data"].(map[string]any)
		if created["rateLimit"] != float64(25) {
			t.Fatalf("created %s = %v, want rateLimit 25", path, created)
		}
		url := path + "/" + created["id"].(string)
		// Other tests list every client's webhooks: leave none behind.
		t.Cleanup(func() {
			_ = testDB.Stores.Webhooks.DeleteWebhook(context.Background(), created["id"].(string), "cleanup")
		})
		if got := mustStatus(t, h.do(http.MethodGet, url, tok, nil), http.StatusOK)["data"].(map[string]any); got["rateLimit"] != float64(25) {
			t.Errorf("get = %v, want rateLimit 25", got)
		}
		list := mustStatus(t, h.do(http.MethodGet, path, tok, nil), http.StatusOK)["data"].([]any)
		if len(list) == 0 || list[len(list)-1].(map[string]any)["rateLimit"] != float64(25) {
			t.Errorf("list = %v, want the webhook with rateLimit 25", list)
		}
		// A PATCH that leaves it out keeps it; a bad one changes nothing.
		mustStatus(t, h.do(http.MethodPatch, url, tok, map[string]any{"url": "https://example.com/rl2"}), http.StatusCreated)
		expectJSON(t, h.do(http.MethodPatch, url, tok, map[string]any{"rateLimit": 5000}), http.StatusBadRequest, badRequest("rateLimit must not be greater than 1000"))
		if w, _ := testDB.Stores.Webhooks.Webhook(t.Context(), created["id"].(string)); w == nil || w.RateLimit != 25 {
			t.Fatalf("stored after patches = %+v, want rate limit 25", w)
		}
		patched := mustStatus(t, h.do(http.MethodPatch, url, tok, map[string]any{"rateLimit": 1000}), http.StatusCreated)["data"].(map[string]any)
		if patched["rateLimit"] != float64(1000) {
			t.Errorf("patched = %v, want rateLimit 1000", patched)
		}
		removed := mustStatus(t, h.do(http.MethodPatch, url, tok, map[string]any{"rateLimit": nil}), http.StatusCreated)["data"].(map[string]any)
		if _, ok := removed["rateLimit"]; ok {
			t.Errorf("after null = %v, want no rateLimit", removed)
		}
		if w, _ := testDB.Stores.Webhooks.Webhook(t.Context(), created["id"].(string)); w == nil || w.RateLimit != 0 {
			t.Errorf("stored after null = %+v, want no rate limit", w)
		}
	}
}

func TestSubscriptionRateLimitIsValidatedStoredAndRemoved(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	body := func(rl any) map[string]any {
		return map[string]any{"postUri": "https://example.com/" + org, "events": []string{"shift.scheduled"}, "isDevelopment": false, "rateLimit": rl}
	}
	for _, tt := range rateLimitCases {
		t.Run(tt.name, func(t *testing.T) {
			expectJSON(t, h.do(http.MethodPost, subscriptionsURL(org), tok, body(tt.value)), http.StatusBadRequest, badRequest(tt.want))
		})
	}
	sub := mustStatus(t, h.do(http.MethodPost, subscriptionsURL(org), tok, body(7)), http.StatusCreated)
	if sub["rateLimit"] != float64(7) {
		t.Fatalf("created = %v, want rateLimit 7", sub)
	}
	if got := mustStatus(t, h.do(http.MethodGet, subscriptionURL(org, sub), tok, nil), http.StatusOK); got["rateLimit"] != float64(7) {
		t.Errorf("get = %v, want rateLimit 7", got)
	}
	list := mustStatus(t, h.do(http.MethodGet, subscriptionsURL(org), tok, nil), http.StatusOK)["data"].([]any)
	if len(list) != 1 || list[0].(map[string]any)["rateLimit"] != float64(7) {
		t.Errorf("list = %v, want the subscription with rateLimit 7", list)
	}
	expectJSON(t, h.patch(subscriptionURL(org, sub), tok, op("replace", "/rateLimit", 0)), http.StatusBadRequest, badRequest("rateLimit must not be less than 1"))
	if got := mustStatus(t, h.patch(subscriptionURL(org, sub), tok, op("replace", "/rateLimit", 40)), http.StatusOK); got["rateLimit"] != float64(40) {
		t.Errorf("patched = %v, want rateLimit 40", got)
	}
	for _, o := range []map[string]any{op("replace", "/rateLimit", nil), op("remove", "/rateLimit")} {
		mustStatus(t, h.patch(subscriptionURL(org, sub), tok, op("add", "/rateLimit", 40)), http.StatusOK)
		got := mustStatus(t, h.patch(subscriptionURL(org, sub), tok, o), http.StatusOK)
		if _, ok := got["rateLimit"]; ok {
			t.Errorf("after %v = %v, want no rateLimit", o, got)
		}
		stored, err := testDB.Stores.Subscriptions.Subscription(t.Context(), org, sub["id"].(string))
		if err != nil || stored.RateLimit != 0 {
			t.Errorf("stored after %v = %+v, %v; want no rate limit", o, stored, err)
		}
	}
}

func TestOperationalEventsAreSubscribableButReservedAndNotPublishable(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	admin := adminToken(t)
	// Both kinds of public webhooks may name them, alone or with others;
	// the seeds' message still lists only the kind's own events.
	for path, events := range map[string][]string{facilityPath: {hookflow.EventDisabled, "shift.created"}, userPath: {hookflow.EventCircuitOpened, hookflow.EventRecovered, hookflow.EventFailing}} {
		w := mustStatus(t, h.do(http.MethodPost, path, tok, map[string]any{"url": "https://example.com/ops", "events": events}), http.StatusCreated)["data"].(map[string]any)
		t.Cleanup(func() { _ = testDB.Stores.Webhooks.DeleteWebhook(context.Background(), w["id"].(string), "cleanup") })
	}
	expectJSON(t, h.do(http.MethodPost, facilityPath, tok, map[string]any{"url": "https://example.com/ops", "events": []string{"endpoint.nope"}}),
		http.StatusBadRequest, badRequest("each value in events must be one of the following values: "+facilityEvents))
	org := newOrg()
	newSubscription(t, h, orgToken(t, org), org, hookflow.EventDisabled)

	// Publishers cannot forge them.
	publisher := token(t, auth.Principal{ClientID: "pub", Roles: []auth.Role{auth.RolePublisher}})
	r := h.do(http.MethodPost, "/api/v2/events", publisher, map[string]any{"eventType": hookflow.EventDisabled, "clientId": "x", "data": map[string]any{}})
	if r.status != http.StatusBadRequest {
		t.Errorf("publish of an operational event: %d %s", r.status, r.raw)
	}

	// The admin API refuses to change the category or its events.
	cat := findCategory(t, h, admin, hookflow.OperationalCategory)
	events := mustStatus(t, h.do(http.MethodGet, eventsURL(cat)+"?take=100", admin, nil), http.StatusOK)["data"].([]any)
	if len(events) != 4 {
		t.Fatalf("operational events = %v, want 4", events)
	}
	ev := events[0].(map[string]any)
	reservedBody := `{"message":"Webhook category endpoint is reserved for Hookflow's operational events and cannot be changed","error":"Conflict","statusCode":409}`
	expectJSON(t, h.patch(categoryURL(cat), admin, op("replace", "/name", "x")), http.StatusConflict, reservedBody)
	expectJSON(t, h.patch(eventURL(cat, ev), admin, op("replace", "/name", "x")), http.StatusConflict, reservedBody)
	expectJSON(t, h.do(http.MethodPost, eventsURL(cat), admin, map[string]any{"name": "New", "code": "endpoint.new", "version": "v1"}), http.StatusConflict, reservedBody)
	for _, action := range []string{"archive", "deactivate"} {
		expectJSON(t, h.do(http.MethodPost, categoryURL(cat)+"/"+action, admin, nil), http.StatusConflict, reservedBody)
		expectJSON(t, h.do(http.MethodPost, eventURL(cat, ev)+"/"+action, admin, nil), http.StatusConflict, reservedBody)
	}
	expectJSON(t, h.do(http.MethodDelete, categoryURL(cat), admin, nil), http.StatusConflict, reservedBody)
	expectJSON(t, h.do(http.MethodDelete, eventURL(cat, ev), admin, nil), http.StatusConflict, reservedBody)
	// Activating what is active is the no-op it always was.
	expectJSON(t, h.do(http.MethodPost, eventURL(cat, ev)+"/activate", admin, nil), http.StatusOK, valueTrue)
	// Nothing changed.
	if codes, err := testDB.Stores.Catalog.CatalogEventCodes(t.Context(), hookflow.OperationalCategory); err != nil || len(codes) != 4 {
		t.Errorf("live operational events after the refusals = %v, %v", codes, err)
	}
}
