package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
)

func TestSamplePayloadsCreateGetPatchDeleteByVersion(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	reader, _ := integrator(t)
	cat := newCategory(t, h, admin)
	ev := newCatalogEvent(t, h, admin, cat, "sampled")
	url := eventURL(cat, ev) + "/sample-payloads"

	r := h.do(http.MethodPost, url, admin, map[string]any{"payload": map[string]any{"shiftId": "s-1", "count": 12345678901234567}})
	created := mustStatus(t, r, http.StatusCreated)
	event := created["event"].(map[string]any)
	if created["version"] != "v1" || created["payload"] != `{"count": 12345678901234567, "shiftId": "s-1"}` ||
		event["id"] != ev["id"] || event["code"] != ev["code"] || event["name"] != ev["name"] || event["version"] != "v1" {
		t.Errorf("created = %s", r.raw)
	}
	if audit := created["auditInfo"].(map[string]any); audit["createdBy"] == nil {
		t.Errorf("auditInfo = %v", audit)
	}
	expectJSON(t, h.do(http.MethodPost, url, admin, map[string]any{"payload": map[string]any{}, "version": "v1"}), http.StatusConflict,
		conflict("Sample payload of version v1 already exists for this webhook event"))
	mustStatus(t, h.do(http.MethodPost, url, admin, map[string]any{"payload": map[string]any{}, "version": "v2"}), http.StatusCreated)

	if got := h.do(http.MethodGet, url+"?version=v1", reader, nil); got.status != http.StatusOK || got.raw != r.raw {
		t.Errorf("get = %d %s", got.status, got.raw)
	}
	expectJSON(t, h.do(http.MethodGet, url, reader, nil), http.StatusBadRequest, invalid("version should not be empty"))
	expectJSON(t, h.do(http.MethodGet, url+"?version=", reader, nil), http.StatusBadRequest, invalid("version should not be empty"))
	expectJSON(t, h.do(http.MethodGet, url+"?version=v9", reader, nil), http.StatusNotFound, notFoundOf("Sample payload"))

	patched := mustStatus(t, h.patch(url+"?version=v1", admin, op("replace", "/payload/shiftId", "s-2"), op("remove", "/payload/count"), op("replace", "/version", "v3")), http.StatusOK)
	if patched["payload"] != `{"shiftId": "s-2"}` || patched["version"] != "v3" || patched["id"] != created["id"] {
		t.Errorf("patched = %v", patched)
	}
	expectJSON(t, h.patch(url+"?version=v3", admin, op("replace", "/event", map[string]any{})), http.StatusBadRequest, invalid("path /event cannot be patched"))
	expectJSON(t, h.patch(url+"?version=v3", admin, op("replace", "/payload", "text")), http.StatusBadRequest, invalid("payload must be an object"))
	expectJSON(t, h.patch(url+"?version=v3", admin, op("replace", "/version", "v2")), http.StatusConflict,
		conflict("Sample payload of version v2 already exists for this webhook event"))
	expectJSON(t, h.patch(url, admin, op("replace", "/version", "v4")), http.StatusBadRequest, invalid("version should not be empty"))

	expectJSON(t, h.do(http.MethodDelete, url+"?version=v3", admin, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodGet, url+"?version=v3", reader, nil), http.StatusNotFound, notFoundOf("Sample payload"))
	expectJSON(t, h.do(http.MethodDelete, url+"?version=v3", admin, nil), http.StatusNotFound, notFoundOf("Sample payload"))
	expectJSON(t, h.do(http.MethodDelete, url, admin, nil), http.StatusBadRequest, invalid("version should not be empty"))
}

func TestCreateSamplePayloadValidationMessages(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	url := eventURL(cat, newCatalogEvent(t, h, admin, cat, "checked")) + "/sample-payloads"
	tests := []struct {
		name string
		body any
		want []string
	}{
		{"empty body", map[string]any{}, []string{"payload should not be empty", "payload must be an object"}},
		{"payload a string", map[string]any{"payload": "{vitals:100}"}, []string{"payload must be an object"}},
		{"payload an array", map[string]any{"payload": []any{1}}, []string{"payload must be an object"}},
		{"bad version", map[string]any{"payload": map[string]any{}, "version": 2}, []string{"version must be a string", "version must match /^v[0-9]+$/ regular expression"}},
		{"unknown property", map[string]any{"payload": map[string]any{}, "eventId": "x"}, []string{"property eventId should not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectJSON(t, h.do(http.MethodPost, url, admin, tt.body), http.StatusBadRequest, invalid(tt.want...))
		})
	}
}

func TestSamplePayloadExamplesUseTheSampleOrBuiltInData(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	reader, _ := integrator(t)
	cat := newCategory(t, h, admin)
	ev := newCatalogEvent(t, h, admin, cat, "example")
	url := eventURL(cat, ev) + "/sample-payloads-examples"
	example := func(query string) (map[string]any, map[string]any) {
		t.Helper()
		got := mustStatus(t, h.do(http.MethodGet, url+query, reader, nil), http.StatusOK)
		payload := got["payload"].(map[string]any)
		if got["eventType"] != ev["code"] || payload["eventType"] != ev["code"] || payload["id"] == "" {
			t.Errorf("example = %v", got)
		}
		if _, err := time.Parse(time.RFC3339Nano, payload["createdAt"].(string)); err != nil {
			t.Errorf("createdAt = %v", payload["createdAt"])
		}
		return got, payload["data"].(map[string]any)
	}
	got, data := example("")
	if got["type"] != "ack" || data["status"] != "ack" {
		t.Errorf("default example = %v", got)
	}
	for _, typ := range []string{"nack", "phone-log", "vitals-observation"} {
		got, data := example("?type=" + typ)
		if got["type"] != typ || len(data) == 0 {
			t.Errorf("%s example = %v", typ, got)
		}
	}
	if _, data := example("?type=vitals-observation"); data["vitals"] == nil {
		t.Errorf("vitals example has no vitals: %v", data)
	}
	mustStatus(t, h.do(http.MethodPost, eventURL(cat, ev)+"/sample-payloads", admin, map[string]any{"payload": map[string]any{"mine": true}}), http.StatusCreated)
	if _, data := example("?type=nack"); data["mine"] != true {
		t.Errorf("the event's sample payload is not the data: %v", data)
	}
	expectJSON(t, h.do(http.MethodGet, url+"?type=bogus", reader, nil), http.StatusBadRequest,
		invalid("type must be one of the following values: ack, nack, phone-log, vitals-observation"))
}

func TestSeedDataVersionsIsABareArray(t *testing.T) {
	h := newHarness(t)
	reader, _ := integrator(t)
	versions := bareArray(t, h.do(http.MethodGet, "/api/seed-data/versions", reader, nil))
	if len(versions) != 1 || versions[0]["version"] != "v1" || versions[0]["description"] == "" || len(versions[0]) != 3 {
		t.Fatalf("versions = %v", versions)
	}
	if _, err := time.Parse(time.RFC3339Nano, versions[0]["appliedAt"].(string)); err != nil {
		t.Errorf("appliedAt = %v", versions[0]["appliedAt"])
	}
}

func TestRandomDeliveryPayloadIsOfALiveEvent(t *testing.T) {
	h := newHarness(t)
	reader, _ := integrator(t)
	live, err := testDB.Stores.Catalog.AllEventCodes(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for range 20 {
		got := mustStatus(t, h.do(http.MethodGet, "/api/webhook-deliveries/payload", reader, nil), http.StatusOK)
		code, _ := got["eventType"].(string)
		if !slices.Contains(live, code) || got["id"] == "" || got["data"] == nil || len(got) != 4 {
			t.Fatalf("payload = %v", got)
		}
		seen[code] = true
	}
	if len(seen) < 2 {
		t.Errorf("20 random payloads all of %v", seen)
	}
}

func TestEventSubscriptionsListOrganizationSubscriptions(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	if subs := bareArray(t, h.do(http.MethodGet, "/api/webhook-events/shift.report.created/subscriptions", admin, nil)); len(subs) != 0 {
		t.Errorf("no organization subscribes yet: %v", subs)
	}
	// Part 2 creates subscriptions through the API; the query reads the
	// organization webhooks that exist.
	org := "org-" + testenv.RandomID(3)
	sub := &hookflow.Webhook{Kind: hookflow.KindOrganization, ClientID: "c", OrganizationID: org, URL: "https://example.com/org",
		Events: []string{"shift.created"}, Secrets: []string{"whsec_c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0"}}
	if err := testDB.Stores.Webhooks.CreateWebhook(context.Background(), sub); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = testDB.Stores.Webhooks.DeleteWebhook(context.Background(), sub.ID, "cleanup") })
	subs := bareArray(t, h.do(http.MethodGet, "/api/webhook-events/shift.created/subscriptions", admin, nil))
	if len(subs) != 1 {
		t.Fatalf("subscriptions = %v", subs)
	}
	raw, _ := json.Marshal(subs[0])
	var got struct {
		ID, OrganizationID, PostURI, Version string
		Events                               []string
		IsDevelopment                        bool
		AuditInfo, ActiveInfo, ArchiveInfo   map[string]any
	}
	if err := json.Unmarshal(raw, &got); err != nil {
		t.Fatal(err)
	}
	if got.ID != sub.ID || got.OrganizationID != org || got.PostURI != sub.URL || got.Version != "v1" ||
		!slices.Equal(got.Events, sub.Events) || got.ActiveInfo["isActive"] != true || got.ArchiveInfo["isArchived"] != false || got.AuditInfo == nil {
		t.Errorf("subscription = %s", raw)
	}
	// Seed 003's sample of this admin route shows no secret: none leaks across organizations.
	if key, has := subs[0]["secretKey"]; has {
		t.Errorf("the event's subscriptions show the secret %v", key)
	}
	expectJSON(t, h.do(http.MethodGet, "/api/webhook-events/no.such-event/subscriptions", admin, nil), http.StatusNotFound, notFoundOf("Webhook event"))
}
