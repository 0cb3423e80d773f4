package api_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
)

const shiftSchema = `{"$schema":"https://json-schema.org/draft/2020-12/schema","type":"object",` +
	`"properties":{"shiftId":{"type":"string"},"count":{"type":"integer","minimum":0}},"required":["shiftId"]}`

// schemaOf decodes a schema document for comparing (jsonb reorders keys).
func schemaOf(t *testing.T, raw string) map[string]any {
	t.Helper()
	var out map[string]any
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("not a JSON object: %s", raw)
	}
	return out
}

func TestEventSchemaSetGetDelete(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	reader, _ := integrator(t)
	cat := newCategory(t, h, admin)
	url := eventURL(cat, newCatalogEvent(t, h, admin, cat, "schemed")) + "/schema"

	expectJSON(t, h.do(http.MethodGet, url, reader, nil), http.StatusNotFound, notFoundOf("Schema"))
	expectJSON(t, h.do(http.MethodDelete, url, admin, nil), http.StatusNotFound, notFoundOf("Schema"))
	expectJSON(t, h.do(http.MethodPut, url, reader, shiftSchema), http.StatusForbidden, forbidden)

	put := h.do(http.MethodPut, url, admin, shiftSchema)
	if put.status != http.StatusOK || schemaOf(t, put.raw)["required"] == nil {
		t.Fatalf("put = %d %s", put.status, put.raw)
	}
	got := h.do(http.MethodGet, url, reader, nil)
	if got.status != http.StatusOK || got.raw != put.raw {
		t.Errorf("get = %d %s, want %s", got.status, got.raw, put.raw)
	}
	expectJSON(t, h.do(http.MethodDelete, url, reader, nil), http.StatusForbidden, forbidden)
	expectJSON(t, h.do(http.MethodDelete, url, admin, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodGet, url, reader, nil), http.StatusNotFound, notFoundOf("Schema"))
	expectJSON(t, h.do(http.MethodGet, eventURL(cat, map[string]any{"id": randomUUID})+"/schema", reader, nil), http.StatusNotFound, notFoundOf("Webhook event"))
}

// A schema that does not compile, reaches outside itself or is too large
// is a 400 naming the problem, and nothing is stored.
func TestEventSchemaRefusals(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	url := eventURL(cat, newCatalogEvent(t, h, admin, cat, "refused")) + "/schema"
	huge := `{"description":"` + strings.Repeat("x", hookflow.MaxEventSchemaBytes) + `"}`
	tests := []struct {
		name, body string
		want       []string
	}{
		{"not an object", `[1]`, []string{"schema must be a JSON object"}},
		{"not JSON", `{"type":`, []string{"Request body must be JSON"}},
		{"bad keyword value", `{"type":"text"}`, []string{
			"schema/type: value must be one of 'array', 'boolean', 'integer', 'null', 'number', 'object', 'string'",
			"schema/type: got string, want array"}},
		{"bad pattern", `{"pattern":"("}`, []string{"schema/pattern: '(' is not valid regex: error parsing regexp: missing closing ): `(`"}},
		{"remote $ref", `{"$ref":"https://example.com/shift.json"}`,
			[]string{"schema https://example.com/shift.json cannot be loaded: only references within the schema are allowed"}},
		{"relative $ref", `{"properties":{"a":{"$ref":"other.json#/x"}}}`,
			[]string{"schema https://hookflow.invalid/other.json cannot be loaded: only references within the schema are allowed"}},
		{"file $ref", `{"$ref":"file:///etc/passwd"}`,
			[]string{"schema file:///etc/passwd cannot be loaded: only references within the schema are allowed"}},
		{"remote $schema", `{"$schema":"http://example.com/meta"}`,
			[]string{"schema http://example.com/meta cannot be loaded: only references within the schema are allowed"}},
		{"too large", huge, []string{"schema must be at most 65536 bytes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(http.MethodPut, url, admin, tt.body)
			if tt.name == "not JSON" {
				if r.status != http.StatusBadRequest {
					t.Fatalf("put = %d %s", r.status, r.raw)
				}
				return
			}
			expectJSON(t, r, http.StatusBadRequest, invalid(tt.want...))
		})
	}
	expectJSON(t, h.do(http.MethodGet, url, admin, nil), http.StatusNotFound, notFoundOf("Schema"))
}

// Setting a schema that the event's sample payload does not satisfy is a
// 400 listing the failures; so is a sample payload that does not satisfy
// the schema, created or patched. Other versions' samples are not checked.
func TestSamplePayloadsMustSatisfyTheSchema(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	ev := eventURL(cat, newCatalogEvent(t, h, admin, cat, "sampled"))
	samples := ev + "/sample-payloads"
	mustStatus(t, h.do(http.MethodPost, samples, admin, map[string]any{"payload": map[string]any{"shiftId": 1, "count": -1}}), http.StatusCreated)
	expectJSON(t, h.do(http.MethodPut, ev+"/schema", admin, shiftSchema), http.StatusBadRequest,
		invalid("samplePayload/count: minimum: got -1, want 0", "samplePayload/shiftId: got number, want string"))
	expectJSON(t, h.do(http.MethodGet, ev+"/schema", admin, nil), http.StatusNotFound, notFoundOf("Schema"))

	mustStatus(t, h.patch(samples+"?version=v1", admin, op("replace", "/payload", map[string]any{"shiftId": "s-1"})), http.StatusOK)
	mustStatus(t, h.do(http.MethodPut, ev+"/schema", admin, shiftSchema), http.StatusOK)

	expectJSON(t, h.patch(samples+"?version=v1", admin, op("remove", "/payload/shiftId")), http.StatusBadRequest,
		invalid("samplePayload: missing property 'shiftId'"))
	expectJSON(t, h.do(http.MethodDelete, samples+"?version=v1", admin, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodPost, samples, admin, map[string]any{"payload": map[string]any{"count": 1.5}}), http.StatusBadRequest,
		invalid("samplePayload: missing property 'shiftId'", "samplePayload/count: got number, want integer"))
	mustStatus(t, h.do(http.MethodPost, samples, admin, map[string]any{"payload": map[string]any{"other": true}, "version": "v2"}), http.StatusCreated)
	mustStatus(t, h.do(http.MethodPost, samples, admin, map[string]any{"payload": map[string]any{"shiftId": "s-2"}}), http.StatusCreated)
}

// Published data is checked against its event type's schema: a failure
// is a 400 listing each one by path, and stores nothing; without a schema
// any object passes.
func TestPublishedDataMustSatisfyTheSchema(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	publisher := token(t, auth.Principal{ClientID: "pub", Roles: []auth.Role{auth.RolePublisher}})
	cat := newCategory(t, h, admin)
	created := newCatalogEvent(t, h, admin, cat, "published")
	code := created["code"].(string)
	publish := func(id string, data any) response {
		return h.do(http.MethodPost, "/api/v2/events", publisher, map[string]any{"id": id, "eventType": code, "data": data})
	}
	mustStatus(t, publish("before-"+code, map[string]any{"anything": 1}), http.StatusAccepted)

	mustStatus(t, h.do(http.MethodPut, eventURL(cat, created)+"/schema", admin, shiftSchema), http.StatusOK)
	expectJSON(t, publish("bad-"+code, map[string]any{"count": "three"}), http.StatusBadRequest,
		invalid("data: missing property 'shiftId'", "data/count: got string, want integer"))
	var stored int
	if err := testDB.DB.Pool().QueryRow(t.Context(), `SELECT count(*) FROM events WHERE id = $1`, "bad-"+code).Scan(&stored); err != nil || stored != 0 {
		t.Errorf("the refused event was stored: %d %v", stored, err)
	}
	mustStatus(t, publish("good-"+code, map[string]any{"shiftId": "s-1", "count": 3}), http.StatusAccepted)

	// A changed schema applies at once.
	mustStatus(t, h.do(http.MethodPut, eventURL(cat, created)+"/schema", admin, `{"required":["other"]}`), http.StatusOK)
	expectJSON(t, publish("changed-"+code, map[string]any{"shiftId": "s-1"}), http.StatusBadRequest, invalid("data: missing property 'other'"))
	expectJSON(t, h.do(http.MethodDelete, eventURL(cat, created)+"/schema", admin, nil), http.StatusOK, valueTrue)
	mustStatus(t, publish("after-"+code, map[string]any{"shiftId": 1}), http.StatusAccepted)
}

// Activities posted through the ECG API carry data of a catalog event:
// data failing its schema is a 400 and no post is stored. A preview of a
// webhooks payload sends nothing and is not checked.
func TestPostedActivityDataMustSatisfyTheSchema(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	ev := newCatalogEvent(t, h, admin, cat, "posted")
	code := ev["code"].(string)
	mustStatus(t, h.do(http.MethodPut, eventURL(cat, ev)+"/schema", admin, shiftSchema), http.StatusOK)
	org := newOrg()
	orgTok := orgToken(t, org)
	sub := newSubscription(t, h, orgTok, org, code)
	later := time.Now().Add(time.Hour).UTC().Format(time.RFC3339)
	posts := func() int {
		_, total, err := testDB.Stores.Activity.Activities(t.Context(), hookflow.ActivityFilter{SubscriptionID: sub["id"].(string), Page: hookflow.Page{Take: 1}})
		if err != nil {
			t.Fatal(err)
		}
		return total
	}
	post := func(payload map[string]any) response {
		return h.do(http.MethodPost, subscriptionURL(org, sub)+"/activity", orgTok,
			map[string]any{"type": 2, "payload": payload, "rawMessage": map[string]any{}, "eventId": ev["id"], "postedAt": later})
	}
	expectJSON(t, post(map[string]any{"shiftId": false}), http.StatusBadRequest, invalid("data/shiftId: got boolean, want string"))
	hashBase := "/api/organizations/" + org + "/subscriptions/" + sub["id"].(string) + "/webhooks-payloads"
	expectJSON(t, h.do(http.MethodPost, hashBase+"?mode=send", orgTok, map[string]any{"eventType": code, "version": "v1", "data": map[string]any{}}),
		http.StatusBadRequest, invalid("data: missing property 'shiftId'"))
	mustStatus(t, h.do(http.MethodPost, hashBase+"?mode=preview", orgTok, map[string]any{"eventType": code, "version": "v1", "data": map[string]any{}}), http.StatusCreated)
	if n := posts(); n != 0 {
		t.Fatalf("%d posts stored", n)
	}
	mustStatus(t, post(map[string]any{"shiftId": "s-1"}), http.StatusCreated)
}

// Hostile schemas and data are bounded 400s, never 500s or long work.
func TestEventSchemaHostileInputs(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	publisher := token(t, auth.Principal{ClientID: "pub", Roles: []auth.Role{auth.RolePublisher}})
	cat := newCategory(t, h, admin)
	ev := newCatalogEvent(t, h, admin, cat, "hostile")
	url := eventURL(cat, ev) + "/schema"

	hugePattern := `{"properties":{"a":{"pattern":"` + strings.Repeat(`(x+x+)+y`, 2000) + `"}}}`
	expectJSON(t, h.do(http.MethodPut, url, admin, hugePattern), http.StatusBadRequest,
		invalid("schema/properties/a/pattern: '(x+x+)+y(x+x+)+y(x+x+)+y(x+x+)+y(x+x+)+y...' is not valid regex: pattern is longer than 1000 characters"))
	expectJSON(t, h.do(http.MethodPut, url, admin, `{"pattern":"\u0000"}`), http.StatusBadRequest, invalid("Request body must not contain NUL characters"))

	recursive := `{"$defs":{"n":{"type":"object","properties":{"n":{"$ref":"#/$defs/n"}},"additionalProperties":false}},"$ref":"#/$defs/n"}`
	mustStatus(t, h.do(http.MethodPut, url, admin, recursive), http.StatusOK)
	deep := strings.Repeat(`[`, 1900) + strings.Repeat(`]`, 1900) // as deep as the harness's body bound allows
	deep = `{"n":` + deep + `}`
	start := time.Now()
	r := h.do(http.MethodPost, "/api/v2/events", publisher, `{"eventType":"`+ev["code"].(string)+`","data":`+deep+`}`)
	expectJSON(t, r, http.StatusBadRequest, invalid("data must not nest deeper than 64 levels"))
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("a deep publish took %v", took)
	}
	shallow := strings.Repeat(`{"n":`, 10) + `{"x":1}` + strings.Repeat(`}`, 10)
	expectJSON(t, h.do(http.MethodPost, "/api/v2/events", publisher, `{"eventType":"`+ev["code"].(string)+`","data":`+shallow+`}`),
		http.StatusBadRequest, invalid("data/n/n/n/n/n/n/n/n/n/n: additional properties 'x' not allowed"))
}
