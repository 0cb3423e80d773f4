package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/api"
)

// Text PostgreSQL refuses is a 400 (or, in a path, a 404), never a 500:
// bodies through the API-wide body checks, query values by the `text` rule.
func TestCatalogRefusesTextThatCannotBeStored(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	ev := newCatalogEvent(t, h, admin, cat, "hostile")
	samples := eventURL(cat, ev) + "/sample-payloads"

	expectJSON(t, h.do(http.MethodPost, "/api/webhook-categories", admin, map[string]any{"name": "a\x00b", "code": "nul-name"}),
		http.StatusBadRequest, invalid("Request body must not contain NUL characters"))
	expectJSON(t, h.do(http.MethodPost, samples, admin, map[string]any{"payload": map[string]any{"k": []any{"\x00"}}}),
		http.StatusBadRequest, invalid("Request body must not contain NUL characters"))
	expectJSON(t, h.do(http.MethodPost, samples, admin, map[string]any{"payload": map[string]any{"k\x00": 1}}),
		http.StatusBadRequest, invalid("Request body must not contain NUL characters"))
	expectJSON(t, h.patch(categoryURL(cat), admin, op("replace", "/description", "x\x00")),
		http.StatusBadRequest, invalid("Request body must not contain NUL characters"))
	expectJSON(t, h.do(http.MethodGet, samples+"?version=%FF", admin, nil), http.StatusBadRequest, invalid("version must be valid UTF-8 without NUL characters"))
	expectJSON(t, h.do(http.MethodGet, samples+"?version=v1%00", admin, nil), http.StatusBadRequest, invalid("version must be valid UTF-8 without NUL characters"))
	expectJSON(t, h.do(http.MethodGet, "/api/webhook-categories?skip=%00", admin, nil), http.StatusBadRequest,
		invalid("skip must be an integer number"))
	for _, code := range []string{"%FF", "a%00b"} {
		expectJSON(t, h.do(http.MethodGet, "/api/webhook-events/"+code+"/subscriptions", admin, nil), http.StatusNotFound, notFoundOf("Webhook event"))
	}
	big := `[{"op":"replace","path":"/name","value":"` + strings.Repeat("x", 5000) + `"}]`
	r := h.doWith(http.MethodPatch, categoryURL(cat), admin, big, "Content-Type", jsonPatchType)
	if r.status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized patch: %d %s", r.status, r.raw)
	}
	// Copies cannot grow the document past what a body may be.
	ops := []map[string]any{op("replace", "/description", strings.Repeat("d", 1500))}
	for _, to := range []string{"/name", "/code"} {
		ops = append(ops, map[string]any{"op": "copy", "from": "/description", "path": to})
	}
	expectJSON(t, h.patch(categoryURL(cat), admin, ops...), http.StatusRequestEntityTooLarge,
		`{"message":"Request body is too large","error":"Payload Too Large","statusCode":413}`)
}

func TestJSONPatchDocumentsAreBounded(t *testing.T) {
	h := newHarness(t, func(_ *api.Deps, o *api.Options) { o.MaxPayloadBytes = 64 << 10 })
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	many := make([]map[string]any, 101)
	for i := range many {
		many[i] = op("test", "/name", cat["name"])
	}
	expectJSON(t, h.patch(categoryURL(cat), admin, many...), http.StatusBadRequest, invalid("JSON Patch document must contain no more than 100 operations"))
	mustStatus(t, h.patch(categoryURL(cat), admin, many[:100]...), http.StatusOK)
}
