package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
)

// Helpers of the ECG catalog tests.

const jsonPatchType = "application/json-patch+json"

func adminToken(t *testing.T) string {
	return token(t, auth.Principal{Subject: "admin-" + testenv.RandomID(2), ClientID: "ops", Roles: []auth.Role{auth.RoleAdmin}})
}

// doWith sends a request with extra headers (name, value pairs).
func (h *harness) doWith(method, path, tok string, body any, headers ...string) response {
	h.t.Helper()
	return fromTestenv(testenv.Do(h.t, method, h.url+path, tok, body, headers...))
}

// patch sends a JSON Patch document.
func (h *harness) patch(path, tok string, ops ...map[string]any) response {
	h.t.Helper()
	if ops == nil {
		ops = []map[string]any{}
	}
	return h.doWith(http.MethodPatch, path, tok, ops, "Content-Type", jsonPatchType)
}

func op(kind, path string, value ...any) map[string]any {
	o := map[string]any{"op": kind, "path": path}
	if len(value) > 0 {
		o["value"] = value[0]
	}
	return o
}

// mustStatus fails unless r has status and returns its JSON object.
func mustStatus(t *testing.T, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status = %d, want %d; body %s", r.status, status, r.raw)
	}
	return r.body
}

// bareArray decodes a response that is a JSON array.
func bareArray(t *testing.T, r response) []map[string]any {
	t.Helper()
	var out []map[string]any
	if err := json.Unmarshal([]byte(r.raw), &out); err != nil || out == nil {
		t.Fatalf("body is not a JSON array: %s", r.raw)
	}
	return out
}

func notFoundOf(what string) string {
	return `{"message":"` + what + ` not found","error":"Not Found","statusCode":404}`
}

func conflict(message string) string {
	return `{"message":"` + message + `","error":"Conflict","statusCode":409}`
}

const (
	forbidden  = `{"message":"Forbidden Resource","error":"Forbidden","statusCode":403}`
	valueTrue  = `{"value":true}`
	randomUUID = "0b7e8c8e-9f3a-4a53-9a57-2b1f7c5d9e11"
)

// newCategory creates a category with a fresh code through the API.
func newCategory(t *testing.T, h *harness, admin string) map[string]any {
	t.Helper()
	code := "cat-" + testenv.RandomID(4)
	return mustStatus(t, h.do(http.MethodPost, "/api/webhook-categories", admin, map[string]any{"name": "Category " + code, "code": code}), http.StatusCreated)
}

// newCatalogEvent creates an event suffix of category cat through the API.
func newCatalogEvent(t *testing.T, h *harness, admin string, cat map[string]any, suffix string) map[string]any {
	t.Helper()
	body := map[string]any{"name": "Event " + suffix, "code": cat["code"].(string) + "." + suffix, "version": "v1"}
	return mustStatus(t, h.do(http.MethodPost, eventsURL(cat), admin, body), http.StatusCreated)
}

func categoryURL(cat map[string]any) string { return "/api/webhook-categories/" + cat["id"].(string) }
func eventsURL(cat map[string]any) string   { return categoryURL(cat) + "/webhook-events" }
func eventURL(cat, ev map[string]any) string {
	return eventsURL(cat) + "/" + ev["id"].(string)
}

// invalid is the 400 envelope of messages, JSON-escaped.
func invalid(messages ...string) string {
	b, _ := json.Marshal(map[string]any{"message": messages, "error": "Bad Request", "statusCode": 400})
	return string(b)
}
