package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
)

func TestCreateCatalogEventAnswersItWithItsCategory(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	code := cat["code"].(string) + ".reading.taken"
	r := h.do(http.MethodPost, eventsURL(cat), admin, map[string]any{"name": "Reading taken", "code": code, "version": "v1", "description": "A reading"})
	got := mustStatus(t, r, http.StatusCreated)
	wantCategory := map[string]any{"id": cat["id"], "name": cat["name"], "code": cat["code"]}
	gotCategory := got["webhookCategory"].(map[string]any)
	if got["code"] != code || got["version"] != "v1" || got["description"] != "A reading" || len(gotCategory) != 3 ||
		gotCategory["id"] != wantCategory["id"] || gotCategory["code"] != wantCategory["code"] || gotCategory["name"] != wantCategory["name"] {
		t.Errorf("created = %s", r.raw)
	}
	for _, block := range []string{"auditInfo", "activeInfo", "archiveInfo"} {
		if _, ok := got[block].(map[string]any); !ok {
			t.Errorf("no %s in %s", block, r.raw)
		}
	}
	if again := h.do(http.MethodGet, eventURL(cat, got), admin, nil); again.status != http.StatusOK || again.raw != r.raw {
		t.Errorf("get = %d %s", again.status, again.raw)
	}
	// (code, version) is unique; another version of the code is a new event.
	expectJSON(t, h.do(http.MethodPost, eventsURL(cat), admin, map[string]any{"name": "x", "code": code, "version": "v1"}),
		http.StatusConflict, conflict("Webhook event with code "+code+" and version v1 already exists"))
	mustStatus(t, h.do(http.MethodPost, eventsURL(cat), admin, map[string]any{"name": "x", "code": code, "version": "v2"}), http.StatusCreated)
}

func TestCreateCatalogEventValidationMessages(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	prefix := cat["code"].(string) + "."
	codeRule := `code must match /^[a-z][a-z0-9-]*(\.[a-z0-9-]+)+$/ regular expression`
	versionRule := "version must match /^v[0-9]+$/ regular expression"
	tests := []struct {
		name string
		body any
		want []string
	}{
		{"empty body", map[string]any{}, []string{"name should not be empty", "name must be a string", "code should not be empty", "code must be a string", codeRule,
			"version should not be empty", "version must be a string", versionRule}},
		{"code of another category", map[string]any{"name": "n", "code": "shift.created", "version": "v1"}, []string{"code must start with " + prefix}},
		{"code without a dot", map[string]any{"name": "n", "code": strings.TrimSuffix(prefix, "."), "version": "v1"}, []string{codeRule, "code must start with " + prefix}},
		{"bad version", map[string]any{"name": "n", "code": prefix + "x", "version": "1.0"}, []string{versionRule}},
		{"description not a string", map[string]any{"name": "n", "code": prefix + "x", "version": "v1", "description": []any{}}, []string{"description must be a string"}},
		{"unknown property", map[string]any{"name": "n", "code": prefix + "x", "version": "v1", "webhookCategory": "x"}, []string{"property webhookCategory should not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectJSON(t, h.do(http.MethodPost, eventsURL(cat), admin, tt.body), http.StatusBadRequest, invalid(tt.want...))
		})
	}
}

func TestCatalogEventsListPerCategoryAndFollowTheLifecycle(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	reader, _ := integrator(t)
	cat, other := newCategory(t, h, admin), newCategory(t, h, admin)
	a, b, c := newCatalogEvent(t, h, admin, cat, "a"), newCatalogEvent(t, h, admin, cat, "b"), newCatalogEvent(t, h, admin, cat, "c")
	newCatalogEvent(t, h, admin, other, "elsewhere")
	ids := func(query string) []any {
		t.Helper()
		body := mustStatus(t, h.do(http.MethodGet, eventsURL(cat)+query, reader, nil), http.StatusOK)
		var out []any
		for _, item := range body["data"].([]any) {
			out = append(out, item.(map[string]any)["id"])
		}
		if int(body["total"].(float64)) < len(out) {
			t.Errorf("total %v below the page's %d", body["total"], len(out))
		}
		return out
	}
	if got := ids(""); len(got) != 3 || got[0] != a["id"] || got[2] != c["id"] {
		t.Fatalf("events = %v", got)
	}
	if got := ids("?order_by=DESC&skip=1&take=1"); len(got) != 1 || got[0] != b["id"] {
		t.Errorf("DESC skip 1 take 1 = %v", got)
	}
	expectJSON(t, h.do(http.MethodPost, eventURL(cat, b)+"/archive", admin, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodPost, eventURL(cat, c)+"/deactivate", admin, nil), http.StatusOK, valueTrue)
	if got := ids(""); len(got) != 2 || got[1] != c["id"] {
		t.Errorf("after archiving b: %v", got)
	}
	shown := mustStatus(t, h.do(http.MethodGet, eventURL(cat, b), reader, nil), http.StatusOK)
	if shown["archiveInfo"].(map[string]any)["isArchived"] != true {
		t.Errorf("archived event by id = %v", shown)
	}
	expectJSON(t, h.do(http.MethodPost, eventURL(cat, b)+"/restore", admin, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodPost, eventURL(cat, c)+"/activate", admin, nil), http.StatusOK, valueTrue)
	if got := ids(""); len(got) != 3 {
		t.Errorf("after restore: %v", got)
	}
	expectJSON(t, h.do(http.MethodDelete, eventURL(cat, a), admin, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodGet, eventURL(cat, a), reader, nil), http.StatusNotFound, notFoundOf("Webhook event"))
	// An event is reachable only under its own category.
	wrong := categoryURL(other) + "/webhook-events/" + b["id"].(string)
	expectJSON(t, h.do(http.MethodGet, wrong, reader, nil), http.StatusNotFound, notFoundOf("Webhook event"))
	expectJSON(t, h.do(http.MethodPost, wrong+"/archive", admin, nil), http.StatusNotFound, notFoundOf("Webhook event"))
}

func TestPatchCatalogEvent(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	ev := newCatalogEvent(t, h, admin, cat, "first")
	newCatalogEvent(t, h, admin, cat, "second")
	url := eventURL(cat, ev)
	got := mustStatus(t, h.patch(url, admin, op("replace", "/version", "v2"), op("replace", "/name", "First, v2")), http.StatusOK)
	if got["version"] != "v2" || got["name"] != "First, v2" || got["webhookCategory"].(map[string]any)["id"] != cat["id"] {
		t.Errorf("patched = %v", got)
	}
	expectJSON(t, h.patch(url, admin, op("replace", "/webhookCategory/id", randomUUID)), http.StatusBadRequest, badRequest("path /webhookCategory/id cannot be patched"))
	expectJSON(t, h.patch(url, admin, op("replace", "/code", "shift.created")), http.StatusBadRequest, badRequest("code must start with "+cat["code"].(string)+"."))
	second := cat["code"].(string) + ".second"
	expectJSON(t, h.patch(url, admin, op("replace", "/code", second), op("replace", "/version", "v1")), http.StatusConflict,
		conflict("Webhook event with code "+second+" and version v1 already exists"))
	expectJSON(t, h.patch(url, admin, op("test", "/version", "v1")), http.StatusConflict, conflict("JSON Patch test failed: /version does not hold the given value"))
}

func TestCatalogWritesNeedAdminAndReadsAnyToken(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	ev := newCatalogEvent(t, h, admin, cat, "guarded")
	mustStatus(t, h.do(http.MethodPost, eventURL(cat, ev)+"/sample-payloads", admin, map[string]any{"payload": map[string]any{}}), http.StatusCreated)
	integratorToken, _ := integrator(t, "P-1")
	publisher := token(t, auth.Principal{ClientID: "pub", Roles: []auth.Role{auth.RolePublisher}})
	support := token(t, auth.Principal{ClientID: "desk", Roles: []auth.Role{auth.RoleSupport}})
	writes := []struct{ method, path string }{
		{http.MethodPost, "/api/webhook-categories"},
		{http.MethodPatch, categoryURL(cat)},
		{http.MethodDelete, categoryURL(cat)},
		{http.MethodPost, eventsURL(cat)},
		{http.MethodPatch, eventURL(cat, ev)},
		{http.MethodDelete, eventURL(cat, ev)},
		{http.MethodPost, eventURL(cat, ev) + "/sample-payloads"},
		{http.MethodPatch, eventURL(cat, ev) + "/sample-payloads?version=v1"},
		{http.MethodDelete, eventURL(cat, ev) + "/sample-payloads?version=v1"},
		{http.MethodGet, "/api/webhook-events/shift.created/subscriptions"},
	}
	for _, action := range []string{"archive", "restore", "activate", "deactivate"} {
		writes = append(writes, struct{ method, path string }{http.MethodPost, categoryURL(cat) + "/" + action},
			struct{ method, path string }{http.MethodPost, eventURL(cat, ev) + "/" + action})
	}
	for _, w := range writes {
		for _, tok := range []string{integratorToken, publisher, support} {
			expectJSON(t, h.do(w.method, w.path, tok, map[string]any{"name": "x"}), http.StatusForbidden, forbidden)
		}
		expectJSON(t, h.do(w.method, w.path, "", nil), http.StatusUnauthorized, `{"message":"Unauthorized","statusCode":401}`)
	}
	reads := []string{"/api/webhook-categories", categoryURL(cat), eventsURL(cat), eventURL(cat, ev), eventURL(cat, ev) + "/sample-payloads?version=v1",
		eventURL(cat, ev) + "/sample-payloads-examples", "/api/seed-data/versions", "/api/webhook-deliveries/payload"}
	for _, path := range reads {
		for _, tok := range []string{integratorToken, publisher, support} {
			if r := h.do(http.MethodGet, path, tok, nil); r.status != http.StatusOK {
				t.Errorf("GET %s: %d %s", path, r.status, r.raw)
			}
		}
		expectJSON(t, h.do(http.MethodGet, path, "", nil), http.StatusUnauthorized, `{"message":"Unauthorized","statusCode":401}`)
	}
}

func TestUnknownAndMalformedCatalogIdsAreNotFound(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	ev := newCatalogEvent(t, h, admin, cat, "known")
	for _, bad := range []string{"not-a-uuid", randomUUID, "1'; DROP TABLE webhook_events; --"} {
		badCat := "/api/webhook-categories/" + bad
		badEvent := eventsURL(cat) + "/" + bad
		for _, tt := range []struct{ method, path, thing string }{
			{http.MethodGet, badCat, "Webhook category"},
			{http.MethodDelete, badCat, "Webhook category"},
			{http.MethodPost, badCat + "/archive", "Webhook category"},
			{http.MethodPost, badCat + "/activate", "Webhook category"},
			{http.MethodGet, badCat + "/webhook-events", "Webhook category"},
			{http.MethodPost, badCat + "/webhook-events", "Webhook category"},
			{http.MethodGet, badCat + "/webhook-events/" + ev["id"].(string), "Webhook category"},
			{http.MethodGet, badEvent, "Webhook event"},
			{http.MethodDelete, badEvent, "Webhook event"},
			{http.MethodPost, badEvent + "/restore", "Webhook event"},
			{http.MethodPost, badEvent + "/deactivate", "Webhook event"},
			{http.MethodGet, badEvent + "/sample-payloads?version=v1", "Webhook event"},
			{http.MethodGet, badEvent + "/sample-payloads-examples", "Webhook event"},
		} {
			r := h.do(tt.method, strings.ReplaceAll(tt.path, " ", "%20"), admin, map[string]any{"name": "n", "code": "c", "version": "v1"})
			expectJSON(t, r, http.StatusNotFound, notFoundOf(tt.thing))
		}
		expectJSON(t, h.patch(badCat, admin, op("replace", "/name", "x")), http.StatusNotFound, notFoundOf("Webhook category"))
		expectJSON(t, h.patch(strings.ReplaceAll(badEvent, " ", "%20"), admin, op("replace", "/name", "x")), http.StatusNotFound, notFoundOf("Webhook event"))
	}
}

// The catalog drives the public API and publishing with no restart, in
// every API process: an event added through one server is subscribable at
// once through another; deactivated or archived, it is refused everywhere.
func TestCatalogChangesApplyToPublicWebhooksAndPublishingAtOnce(t *testing.T) {
	other, h := newHarness(t), newHarness(t) // two API processes on one database
	admin := adminToken(t)
	tok, _ := integrator(t, "P-1")
	publisher := token(t, auth.Principal{ClientID: "pub", Roles: []auth.Role{auth.RolePublisher}})
	shift := findCategory(t, h, admin, "shift")
	code := "shift.live-" + testenv.RandomID(3)
	ev := mustStatus(t, other.do(http.MethodPost, eventsURL(shift), admin, map[string]any{"name": "Live", "code": code, "version": "v1"}), http.StatusCreated)
	t.Cleanup(func() {
		// Other tests pin the seeded list; leave the shift category as it was.
		_ = testDB.Stores.Catalog.CatalogEventLifecycle(context.Background(), shift["id"].(string), ev["id"].(string), "delete", "cleanup")
	})
	allowed := facilityEvents[:len(facilityEvents)-len(", all")] + ", " + code + ", all"
	mustStatus(t, h.do(http.MethodPost, facilityPath, tok, map[string]any{"url": "https://example.com/live", "events": []string{code}}), http.StatusCreated)
	expectJSON(t, h.do(http.MethodPost, facilityPath, tok, map[string]any{"url": "https://example.com/live", "events": []string{"nope"}}),
		http.StatusBadRequest, badRequest("each value in events must be one of the following values: "+allowed))

	publishBody := map[string]any{"eventType": code, "facilityId": "P-1", "data": map[string]any{}}
	for _, step := range []struct{ off, on string }{{"deactivate", "activate"}, {"archive", "restore"}} {
		expectJSON(t, other.do(http.MethodPost, eventURL(shift, ev)+"/"+step.off, admin, nil), http.StatusOK, valueTrue)
		expectJSON(t, h.do(http.MethodPost, facilityPath, tok, map[string]any{"url": "https://example.com/live", "events": []string{code}}),
			http.StatusBadRequest, badRequest("each value in events must be one of the following values: "+facilityEvents))
		r := h.do(http.MethodPost, "/api/v2/events", publisher, publishBody)
		if r.status != http.StatusBadRequest || !strings.Contains(r.raw, "eventType must be one of the following values: ") || strings.Contains(r.raw, code) {
			t.Errorf("publish of a %sd event: %d %s", step.off, r.status, r.raw)
		}
		expectJSON(t, other.do(http.MethodPost, eventURL(shift, ev)+"/"+step.on, admin, nil), http.StatusOK, valueTrue)
		mustStatus(t, h.do(http.MethodPost, facilityPath, tok, map[string]any{"url": "https://example.com/live", "events": []string{code}}), http.StatusCreated)
	}
}

// findCategory finds a category by code in the list.
func findCategory(t *testing.T, h *harness, tok, code string) map[string]any {
	t.Helper()
	for _, item := range mustStatus(t, h.do(http.MethodGet, "/api/webhook-categories?take=100", tok, nil), http.StatusOK)["data"].([]any) {
		if c := item.(map[string]any); c["code"] == code {
			return c
		}
	}
	t.Fatalf("no category %s", code)
	return nil
}
