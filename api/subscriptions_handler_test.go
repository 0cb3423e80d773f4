package api_test

import (
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
)

// Helpers of the organization subscription tests.

// orgToken is a token of organization org with no role.
func orgToken(t *testing.T, org string) string {
	return token(t, auth.Principal{Subject: "member-of-" + org, ClientID: "c-" + org, OrgID: org})
}

func newOrg() string { return "org-" + testenv.RandomID(4) }

func subscriptionsURL(org string) string {
	return "/api/organizations/" + org + "/webhook-subscriptions"
}

func subscriptionURL(org string, sub map[string]any) string {
	return subscriptionsURL(org) + "/" + sub["id"].(string)
}

// newSubscription creates a subscription of org through the API.
func newSubscription(t *testing.T, h *harness, tok, org string, events ...string) map[string]any {
	t.Helper()
	body := map[string]any{"postUri": "https://example.com/" + org, "events": events, "isDevelopment": false}
	return mustStatus(t, h.do(http.MethodPost, subscriptionsURL(org), tok, body), http.StatusCreated)
}

// versionsMessage is the 400 message of a version outside the catalog's,
// which other tests of the package may add to.
func versionsMessage(t *testing.T, h *harness, tok, org string) string {
	t.Helper()
	r := h.do(http.MethodPost, subscriptionsURL(org), tok, map[string]any{"postUri": "https://example.com", "events": []string{"all"}, "version": "v0", "isDevelopment": false})
	msgs := strs(mustStatus(t, r, http.StatusBadRequest)["message"])
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], "version must be one of the following values: v1") {
		t.Fatalf("version messages = %v", msgs)
	}
	return msgs[0]
}

// shiftEventID finds the id of a seeded shift event through the catalog API.
func shiftEventID(t *testing.T, h *harness, tok, code string) string {
	t.Helper()
	for _, cat := range mustStatus(t, h.do(http.MethodGet, "/api/webhook-categories?take=100", tok, nil), http.StatusOK)["data"].([]any) {
		if cat := cat.(map[string]any); cat["code"] == "shift" {
			for _, ev := range mustStatus(t, h.do(http.MethodGet, categoryURL(cat)+"/webhook-events?take=100", tok, nil), http.StatusOK)["data"].([]any) {
				if ev := ev.(map[string]any); ev["code"] == code {
					return ev["id"].(string)
				}
			}
		}
	}
	t.Fatalf("no shift event %s in the catalog", code)
	return ""
}

func subscriptionIDs(t *testing.T, r response) []string {
	t.Helper()
	body := mustStatus(t, r, http.StatusOK)
	var out []string
	for _, item := range body["data"].([]any) {
		out = append(out, item.(map[string]any)["id"].(string))
	}
	return out
}

func TestCreateSubscriptionGeneratesASecretAndDefaultsTheVersion(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	sub := newSubscription(t, h, tok, org, "shift.created", "facility.creation.accepted", "shift.created")

	if sub["organizationId"] != org || sub["postUri"] != "https://example.com/"+org || sub["version"] != "v1" || sub["isDevelopment"] != false {
		t.Errorf("created %v", sub)
	}
	if got := strs(sub["events"]); strings.Join(got, ",") != "shift.created,facility.creation.accepted" {
		t.Errorf("events = %v, want each once in the given order", got)
	}
	secret, _ := sub["secretKey"].(string)
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if !strings.HasPrefix(secret, "whsec_") || err != nil || len(key) != 32 {
		t.Errorf("secretKey %q is not whsec_ and base64 of 32 bytes", secret)
	}
	audit := sub["auditInfo"].(map[string]any)
	if audit["createdBy"] != "member-of-"+org || sub["activeInfo"].(map[string]any)["isActive"] != true || sub["archiveInfo"].(map[string]any)["isArchived"] != false {
		t.Errorf("info blocks %v %v %v", audit, sub["activeInfo"], sub["archiveInfo"])
	}
	got := mustStatus(t, h.do(http.MethodGet, subscriptionURL(org, sub), tok, nil), http.StatusOK)
	if got["id"] != sub["id"] || got["secretKey"] != secret {
		t.Errorf("get = %v", got)
	}

	// Any category's events and `all`; a development subscription may use http.
	dev := h.do(http.MethodPost, subscriptionsURL(org), adminToken(t), map[string]any{
		"postUri": "http://localhost/hooks", "events": []string{"all"}, "version": "v1", "isDevelopment": true})
	if body := mustStatus(t, dev, http.StatusCreated); body["isDevelopment"] != true || body["postUri"] != "http://localhost/hooks" {
		t.Errorf("development subscription %v", body)
	}
}

func TestCreateSubscriptionReportsEveryFailedRule(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	events := "each value in events must be one of the following values: "
	versions := versionsMessage(t, h, tok, org)
	tests := []struct {
		name string
		body any
		want []string
	}{
		{"empty", map[string]any{}, []string{"postUri should not be empty", "postUri must be a string", "postUri must be a URL address",
			"events must be an array", "events must contain at least 1 elements", "isDevelopment must be a boolean value"}},
		{"wrong types", map[string]any{"postUri": 5, "events": "shift.created", "version": 1, "isDevelopment": "no"},
			[]string{"postUri must be a string", "postUri must be a URL address", "events must be an array",
				"version must be a string", versions, "isDevelopment must be a boolean value"}},
		{"no events", map[string]any{"postUri": "https://example.com", "events": []string{}, "isDevelopment": false},
			[]string{"events must contain at least 1 elements"}},
		{"not a URL", map[string]any{"postUri": "example.com/hooks", "events": []string{"all"}, "isDevelopment": false},
			[]string{"postUri must be a URL address"}},
		{"http without isDevelopment", map[string]any{"postUri": "http://example.com", "events": []string{"all"}, "isDevelopment": false},
			[]string{"postUri must be a secure URL with HTTPS unless isDevelopment is true"}},
		{"a port deliveries may not use, development or not", map[string]any{"postUri": "http://10.0.0.5:6379/", "events": []string{"all"}, "isDevelopment": true},
			[]string{"postUri must use port 443 or 80"}},
		{"unknown version and property", map[string]any{"postUri": "https://example.com", "events": []string{"all"}, "version": "v9", "isDevelopment": false, "name": "x"},
			[]string{versions, "property name should not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectJSON(t, h.do(http.MethodPost, subscriptionsURL(org), tok, tt.body), http.StatusBadRequest, invalid(tt.want...))
		})
	}
	// The allowed events are the live catalog's codes, of every category, then all.
	r := h.do(http.MethodPost, subscriptionsURL(org), tok, map[string]any{"postUri": "https://example.com", "events": []string{"nope"}, "isDevelopment": false})
	msgs := strs(mustStatus(t, r, http.StatusBadRequest)["message"])
	if len(msgs) != 1 || !strings.HasPrefix(msgs[0], events+"shift.request.created, ") || !strings.Contains(msgs[0], "facility.creation.rejected") || !strings.HasSuffix(msgs[0], ", all") {
		t.Errorf("messages = %v", msgs)
	}
	// Nothing was stored.
	if ids := subscriptionIDs(t, h.do(http.MethodGet, subscriptionsURL(org), tok, nil)); len(ids) != 0 {
		t.Errorf("bad input stored %v", ids)
	}
}

func TestOrganizationRoutesAdmitAdminAndTheOrganizationsTokensOnly(t *testing.T) {
	h := newHarness(t)
	org, other := newOrg(), newOrg()
	tok := orgToken(t, org)
	sub := newSubscription(t, h, tok, org, "all")
	foreign := newSubscription(t, h, orgToken(t, other), other, "all")
	paths := []struct{ method, path string }{
		{http.MethodGet, subscriptionsURL(org)},
		{http.MethodPost, subscriptionsURL(org)},
		{http.MethodGet, subscriptionURL(org, sub)},
		{http.MethodPatch, subscriptionURL(org, sub)},
		{http.MethodDelete, subscriptionURL(org, sub)},
		{http.MethodPost, subscriptionURL(org, sub) + "/archive"},
		{http.MethodDelete, subscriptionURL(org, sub) + "/events/all"},
		{http.MethodGet, subscriptionURL(org, sub) + "/secrets"},
		{http.MethodPut, subscriptionURL(org, sub) + "/secrets"},
		{http.MethodGet, subscriptionURL(org, sub) + "/webhook-secret-histories"},
		{http.MethodPost, subscriptionURL(org, sub) + "/webhook-secret-histories"},
	}
	noOrg := token(t, auth.Principal{Subject: "s", ClientID: "c", Roles: []auth.Role{auth.RoleIntegrator, auth.RoleSupport, auth.RolePublisher}})
	for _, p := range paths {
		expectJSON(t, h.do(p.method, p.path, orgToken(t, other), nil), http.StatusForbidden, forbidden)
		expectJSON(t, h.do(p.method, p.path, noOrg, nil), http.StatusForbidden, forbidden)
		expectJSON(t, h.do(p.method, p.path, "", nil), http.StatusUnauthorized, `{"message":"Unauthorized","statusCode":401}`)
	}
	// Another organization's id under one's own organization, a malformed
	// id and an unknown one are not found, for every route that names one.
	for _, id := range []string{foreign["id"].(string), "not-a-uuid", randomUUID} {
		base := subscriptionsURL(org) + "/" + id
		for _, p := range []struct{ method, path string }{
			{http.MethodGet, base}, {http.MethodDelete, base}, {http.MethodPost, base + "/activate"}, {http.MethodPost, base + "/deactivate"},
			{http.MethodPost, base + "/archive"}, {http.MethodPost, base + "/restore"}, {http.MethodDelete, base + "/events/all"},
			{http.MethodGet, base + "/secrets"}, {http.MethodPut, base + "/secrets"}, {http.MethodGet, base + "/webhook-secret-histories"},
		} {
			expectJSON(t, h.do(p.method, p.path, tok, nil), http.StatusNotFound, notFoundOf("Webhook subscription"))
		}
		expectJSON(t, h.patch(base, tok, op("replace", "/postUri", "https://example.org")), http.StatusNotFound, notFoundOf("Webhook subscription"))
		expectJSON(t, h.do(http.MethodPost, base+"/webhook-secret-histories", tok, map[string]any{"secretKey": "long-enough"}), http.StatusNotFound, notFoundOf("Webhook subscription"))
	}
	// An organization id no token could carry is no organization's.
	admin := adminToken(t)
	for _, id := range []string{"org%00x", strings.Repeat("o", 300)} {
		expectJSON(t, h.do(http.MethodGet, subscriptionsURL(id), admin, nil), http.StatusNotFound, notFoundOf("Webhook subscription"))
	}
	// The foreign subscription is untouched and admin reaches it.
	got := mustStatus(t, h.do(http.MethodGet, subscriptionURL(other, foreign), admin, nil), http.StatusOK)
	if got["activeInfo"].(map[string]any)["isActive"] != true || strs(got["events"])[0] != "all" {
		t.Errorf("foreign subscription changed: %v", got)
	}
}

func TestListSubscriptionsFiltersAndPages(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	a := newSubscription(t, h, tok, org, "shift.created")
	b := newSubscription(t, h, tok, org, "all")
	c := newSubscription(t, h, tok, org, "facility.creation.accepted")
	archived := newSubscription(t, h, tok, org, "shift.created")
	elsewhere := newOrg()
	newSubscription(t, h, orgToken(t, elsewhere), elsewhere, "shift.created")
	expectJSON(t, h.do(http.MethodPost, subscriptionURL(org, archived)+"/archive", tok, nil), http.StatusOK, valueTrue)

	shiftCreatedID := shiftEventID(t, h, tok, "shift.created")
	id := func(m map[string]any) string { return m["id"].(string) }
	tests := []struct {
		query string
		want  []string
	}{
		{"", []string{id(a), id(b), id(c)}},
		{"?order_by=DESC&take=2", []string{id(c), id(b)}},
		{"?skip=1&take=1", []string{id(b)}},
		{"?eventId=shift.created", []string{id(a), id(b)}},
		{"?eventId=" + shiftCreatedID, []string{id(a), id(b)}},
		{"?version=v1&eventId=facility.creation.accepted", []string{id(b), id(c)}},
		{"?version=v2", nil},
	}
	for _, tt := range tests {
		got := subscriptionIDs(t, h.do(http.MethodGet, subscriptionsURL(org)+tt.query, tok, nil))
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("list%s = %v, want %v", tt.query, got, tt.want)
		}
	}
	if total := mustStatus(t, h.do(http.MethodGet, subscriptionsURL(org)+"?take=1", tok, nil), http.StatusOK)["total"]; total != float64(3) {
		t.Errorf("total = %v, want 3", total)
	}
	expectJSON(t, h.do(http.MethodGet, subscriptionsURL(org)+"?order_by=up&skip=-1&take=101&colour=red", tok, nil), http.StatusBadRequest,
		invalid("order_by must be one of the following values: ASC, DESC", "skip must not be less than 0", "take must not be greater than 100", "property colour should not exist"))
}

func TestPatchSubscriptionEditsOnlyItsEditableFields(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	sub := newSubscription(t, h, tok, org, "shift.created")
	url := subscriptionURL(org, sub)

	patched := mustStatus(t, h.patch(url, tok, op("replace", "/postUri", "http://localhost/dev"), op("replace", "/isDevelopment", true),
		op("add", "/events/-", "facility.creation.accepted")), http.StatusOK)
	if patched["postUri"] != "http://localhost/dev" || patched["isDevelopment"] != true ||
		strings.Join(strs(patched["events"]), ",") != "shift.created,facility.creation.accepted" || patched["secretKey"] != sub["secretKey"] {
		t.Errorf("patched %v", patched)
	}
	if patched["auditInfo"].(map[string]any)["updatedBy"] != "member-of-"+org {
		t.Errorf("updatedBy = %v", patched["auditInfo"])
	}
	expectJSON(t, h.patch(url, tok, op("replace", "/secretKey", "x"), op("remove", "/id")), http.StatusBadRequest,
		invalid("path /secretKey cannot be patched", "path /id cannot be patched"))
	expectJSON(t, h.patch(url, tok, op("replace", "/isDevelopment", false)), http.StatusBadRequest,
		invalid("postUri must be a secure URL with HTTPS unless isDevelopment is true"))
	expectJSON(t, h.patch(url, tok, op("replace", "/events", []string{}), op("replace", "/version", "v7")), http.StatusBadRequest,
		invalid("events must contain at least 1 elements", versionsMessage(t, h, tok, org)))
	expectJSON(t, h.patch(url, tok, op("replace", "/postUri", "http://localhost:2375/dev")), http.StatusBadRequest,
		invalid("postUri must use port 443 or 80"))
	expectJSON(t, h.patch(url, tok, op("test", "/version", "v2")), http.StatusConflict, conflict("JSON Patch test failed: /version does not hold the given value"))
	// None of the refused patches changed anything.
	got := mustStatus(t, h.do(http.MethodGet, url, tok, nil), http.StatusOK)
	if got["postUri"] != "http://localhost/dev" || got["version"] != "v1" || len(strs(got["events"])) != 2 {
		t.Errorf("after refused patches: %v", got)
	}
}

func TestSubscriptionLifecycleAndDeletion(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	sub := newSubscription(t, h, tok, org, "shift.created")
	url := subscriptionURL(org, sub)
	info := func() map[string]any { return mustStatus(t, h.do(http.MethodGet, url, tok, nil), http.StatusOK) }

	for range 2 { // repeating an action is harmless
		expectJSON(t, h.do(http.MethodPost, url+"/deactivate", tok, nil), http.StatusOK, valueTrue)
	}
	if a := info()["activeInfo"].(map[string]any); a["isActive"] != false || a["changedBy"] != "member-of-"+org || a["changedAt"] == nil {
		t.Errorf("after deactivate: %v", a)
	}
	if ids := subscriptionIDs(t, h.do(http.MethodGet, subscriptionsURL(org), tok, nil)); len(ids) != 1 {
		t.Errorf("a deactivated subscription stays listed: %v", ids)
	}
	expectJSON(t, h.do(http.MethodPost, url+"/activate", tok, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodPost, url+"/archive", adminToken(t), nil), http.StatusOK, valueTrue)
	if a := info()["archiveInfo"].(map[string]any); a["isArchived"] != true || a["archivedAt"] == nil {
		t.Errorf("after archive: %v", a)
	}
	if ids := subscriptionIDs(t, h.do(http.MethodGet, subscriptionsURL(org), tok, nil)); len(ids) != 0 {
		t.Errorf("an archived subscription is listed: %v", ids)
	}
	expectJSON(t, h.do(http.MethodPost, url+"/restore", tok, nil), http.StatusOK, valueTrue)
	if a := info(); a["archiveInfo"].(map[string]any)["isArchived"] != false || a["activeInfo"].(map[string]any)["isActive"] != true {
		t.Errorf("after restore and activate: %v", a)
	}
	expectJSON(t, h.do(http.MethodDelete, url, tok, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodGet, url, tok, nil), http.StatusNotFound, notFoundOf("Webhook subscription"))
	expectJSON(t, h.do(http.MethodDelete, url, tok, nil), http.StatusNotFound, notFoundOf("Webhook subscription"))
}

func TestRemoveOneEventFromASubscription(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	sub := newSubscription(t, h, tok, org, "shift.created", "shift.cancelled")
	url := subscriptionURL(org, sub)
	cancelledID := shiftEventID(t, h, tok, "shift.cancelled")
	expectJSON(t, h.do(http.MethodDelete, url+"/events/"+cancelledID, tok, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodDelete, url+"/events/"+cancelledID, tok, nil), http.StatusNotFound, notFoundOf("Webhook event"))
	expectJSON(t, h.do(http.MethodDelete, url+"/events/facility.creation.accepted", tok, nil), http.StatusNotFound, notFoundOf("Webhook event"))
	expectJSON(t, h.do(http.MethodDelete, url+"/events/"+randomUUID, tok, nil), http.StatusNotFound, notFoundOf("Webhook event"))
	expectJSON(t, h.do(http.MethodDelete, url+"/events/shift.created", tok, nil), http.StatusOK, valueTrue)
	got := mustStatus(t, h.do(http.MethodGet, url, tok, nil), http.StatusOK)
	if events, ok := got["events"].([]any); !ok || len(events) != 0 {
		t.Errorf("events after removing the last = %v, want []", got["events"])
	}
}

func TestEventSubscriptionsListsRealSubscriptionsOfAnyOrganizationButArchived(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	code := "shift.report.rejected"
	org1, org2 := newOrg(), newOrg()
	byCode := newSubscription(t, h, orgToken(t, org1), org1, code)
	toAll := newSubscription(t, h, orgToken(t, org2), org2, "all")
	archived := newSubscription(t, h, orgToken(t, org2), org2, code)
	unrelated := newSubscription(t, h, orgToken(t, org2), org2, "shift.created")
	expectJSON(t, h.do(http.MethodPost, subscriptionURL(org2, archived)+"/archive", admin, nil), http.StatusOK, valueTrue)

	found := map[string]bool{}
	for _, s := range bareArray(t, h.do(http.MethodGet, "/api/webhook-events/"+code+"/subscriptions", admin, nil)) {
		found[s["id"].(string)] = true
	}
	if !found[byCode["id"].(string)] || !found[toAll["id"].(string)] || found[archived["id"].(string)] || found[unrelated["id"].(string)] {
		t.Errorf("subscriptions of %s: %v", code, found)
	}
	expectJSON(t, h.do(http.MethodGet, "/api/webhook-events/"+code+"/subscriptions", orgToken(t, org1), nil), http.StatusForbidden, forbidden)
}

// TestSubscriptionSecretIsShownOnlyWhereSeed003ShowsIt: the create, get and
// patch responses of seed 003 show `secretKey`; the list's sample shows
// none, so the list leaves it out.
func TestSubscriptionSecretIsShownOnlyWhereSeed003ShowsIt(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	sub := newSubscription(t, h, tok, org, "all")
	key, _ := sub["secretKey"].(string)
	if !strings.HasPrefix(key, "whsec_") {
		t.Fatalf("create shows secretKey %v, want the generated secret", sub["secretKey"])
	}
	if got := mustStatus(t, h.do(http.MethodGet, subscriptionURL(org, sub), tok, nil), http.StatusOK)["secretKey"]; got != key {
		t.Errorf("get shows secretKey %v, want %s", got, key)
	}
	patch := []map[string]any{{"op": "replace", "path": "/postUri", "value": "https://example.com/patched"}}
	if got := mustStatus(t, h.do(http.MethodPatch, subscriptionURL(org, sub), tok, patch), http.StatusOK)["secretKey"]; got != key {
		t.Errorf("patch shows secretKey %v, want %s", got, key)
	}
	list := mustStatus(t, h.do(http.MethodGet, subscriptionsURL(org), tok, nil), http.StatusOK)["data"].([]any)
	if len(list) != 1 {
		t.Fatalf("list = %v", list)
	}
	if got, has := list[0].(map[string]any)["secretKey"]; has {
		t.Errorf("the list shows secretKey %v", got)
	}
}
