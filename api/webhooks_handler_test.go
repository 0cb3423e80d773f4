package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/signing"
)

const (
	facilityEvents = "shift.request.created, shift.request.cancelled, shift.report.created, shift.scheduled.cancelled, shift.scheduled, shift.created, shift.report.accepted-automatically, shift.report.accepted, shift.report.rejected, shift.cancelled, all"
	userEvents     = "all, facility.user-connection.accepted, facility.user-connection.rejected, facility.creation.accepted, facility.creation.rejected"
	seedSecretA    = "sDV1aKqitCLClI12m7UPFbAAvZfZquJw"
	seedSecretB    = "mryefgHPBVHJwux0o3BYW7hPM0BZlcCa"
	facilityPath   = "/api/v2/public/webhooks/facility"
	userPath       = "/api/v2/public/webhooks/user"
)

func badRequest(messages ...string) string {
	quoted := make([]string, len(messages))
	for i, m := range messages {
		quoted[i] = `"` + strings.ReplaceAll(m, `"`, `\"`) + `"`
	}
	return `{"message":[` + strings.Join(quoted, ",") + `],"error":"Bad Request","statusCode":400}`
}

func TestCreateWebhookValidationMessagesMatchTheSeeds(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	valid := func(extra map[string]any) map[string]any {
		b := map[string]any{"url": "https://example.com/hook", "events": []string{"shift.created"}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	tests := []struct {
		name string
		path string
		body any
		want []string
	}{
		{"empty body", facilityPath, map[string]any{}, []string{"url must be a string", "should be a secure URL with HTTPS", "events must be an array", "events must contain at least 1 elements"}},
		{"url not https", facilityPath, valid(map[string]any{"url": "http://example.com/hook"}), []string{"should be a secure URL with HTTPS"}},
		{"url not a url", facilityPath, valid(map[string]any{"url": "not a url"}), []string{"should be a secure URL with HTTPS"}},
		{"url a number", facilityPath, valid(map[string]any{"url": 42}), []string{"url must be a string", "should be a secure URL with HTTPS"}},
		{"events not an array", facilityPath, valid(map[string]any{"events": "shift.created"}), []string{"events must be an array"}},
		{"events empty", facilityPath, valid(map[string]any{"events": []string{}}), []string{"events must contain at least 1 elements"}},
		{"facility event unknown", facilityPath, valid(map[string]any{"events": []string{"shift.created", "facility.creation.accepted"}}), []string{"each value in events must be one of the following values: " + facilityEvents}},
		{"user event unknown", userPath, valid(map[string]any{"events": []string{"shift.created"}}), []string{"each value in events must be one of the following values: " + userEvents}},
		{"facilities not strings", facilityPath, valid(map[string]any{"facilities": []any{"P-1", 7}}), []string{"each value in facilities must be a string"}},
		{"secrets not an array", facilityPath, valid(map[string]any{"secrets": seedSecretA}), []string{"secrets must be an array"}},
		{"no secrets", facilityPath, valid(map[string]any{"secrets": []string{}}), []string{"secrets must contain at least 1 elements"}},
		{"three secrets", facilityPath, valid(map[string]any{"secrets": []string{seedSecretA, seedSecretB, seedSecretA}}), []string{"secrets must contain no more than 2 elements"}},
		{"secret not a string", userPath, valid(map[string]any{"events": []string{"all"}, "secrets": []any{1}}), []string{"each value in secrets must be a string"}},
		{"secret not a key", userPath, valid(map[string]any{"events": []string{"all"}, "secrets": []string{"too-short"}}), []string{"each value in secrets must be a valid secret: base64 of 24 to 64 bytes, optionally prefixed with whsec_"}},
		{"unknown property", facilityPath, valid(map[string]any{"name": "x"}), []string{"property name should not exist"}},
		{"facilities on a user webhook", userPath, valid(map[string]any{"events": []string{"all"}, "facilities": []string{"P-1"}}), []string{"property facilities should not exist"}},
		{"every rule at once", facilityPath, map[string]any{"url": 1, "events": []string{}, "secrets": []any{1, 2, 3}, "extra": true}, []string{
			"url must be a string", "should be a secure URL with HTTPS", "events must contain at least 1 elements",
			"secrets must contain no more than 2 elements", "each value in secrets must be a string", "property extra should not exist"}},
		{"malformed JSON", facilityPath, `{"url": `, []string{"Request body is not valid JSON"}},
		{"JSON that is not an object", facilityPath, `["https://example.com"]`, []string{"Request body must be a JSON object"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectJSON(t, h.do(http.MethodPost, tt.path, tok, tt.body), http.StatusBadRequest, badRequest(tt.want...))
		})
	}
}

func TestCreateWebhookRefusesWrongContentTypeAndOversizedBodies(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	req, _ := http.NewRequest(http.MethodPost, h.url+facilityPath, strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "text/plain")
	expectJSON(t, h.send(req), http.StatusBadRequest, badRequest("Content-Type must be application/json"))

	big := `{"url":"https://example.com/` + strings.Repeat("a", 5000) + `","events":["all"]}`
	expectJSON(t, h.do(http.MethodPost, facilityPath, tok, big), http.StatusRequestEntityTooLarge,
		`{"message":"Request body is too large","error":"Payload Too Large","statusCode":413}`)
}

func TestCreateFacilityWebhookDefaultsFacilitiesAndGeneratesASecret(t *testing.T) {
	h := newHarness(t)
	tok, clientID := integrator(t, "P-1", "P-2")
	r := h.do(http.MethodPost, facilityPath, tok, map[string]any{"url": "https://example.com/hook", "events": []string{"shift.report.created", "shift.request.created"}})
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	d := r.data(t)
	if d["id"] == "" || d["url"] != "https://example.com/hook" || d["clientId"] != clientID {
		t.Errorf("unexpected webhook: %s", r.raw)
	}
	if got := strs(d["events"]); !slices.Equal(got, []string{"shift.report.created", "shift.request.created"}) {
		t.Errorf("events = %v", got)
	}
	if got := strs(d["facilities"]); !slices.Equal(got, []string{"P-1", "P-2"}) {
		t.Errorf("facilities = %v, want the token's claim", got)
	}
	secrets := strs(d["secrets"])
	if len(secrets) != 1 || !strings.HasPrefix(secrets[0], "whsec_") {
		t.Fatalf("secrets = %v, want one generated whsec_ secret", secrets)
	}
	key, err := signing.DecodeSecret(secrets[0])
	if err != nil || len(key) != 32 {
		t.Errorf("generated secret decodes to %d bytes (%v), want 32", len(key), err)
	}
	if len(d) != 6 {
		t.Errorf("facility webhook has fields %v, want id url events clientId facilities secrets", d)
	}
}

func TestCreateUserWebhookWithTheSeedsSecrets(t *testing.T) {
	h := newHarness(t)
	tok, clientID := integrator(t)
	r := h.do(http.MethodPost, userPath, tok, map[string]any{
		"url": "https://exemple.com/webhook", "events": []string{"facility.creation.accepted", "facility.user-connection.accepted"},
		"secrets": []string{seedSecretA, seedSecretB},
	})
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
	d := r.data(t)
	if !slices.Equal(strs(d["secrets"]), []string{seedSecretA, seedSecretB}) || d["clientId"] != clientID {
		t.Errorf("unexpected webhook: %s", r.raw)
	}
	if _, has := d["facilities"]; has {
		t.Errorf("user webhook must not carry facilities: %s", r.raw)
	}
}

func TestCreateFacilityWebhookOutsideTheClaimIsForbidden(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	r := h.do(http.MethodPost, facilityPath, tok, map[string]any{"url": "https://example.com/hook", "events": []string{"all"}, "facilities": []string{"P-1", "P-9"}})
	expectJSON(t, r, http.StatusForbidden, `{"message":"Forbidden Resource","error":"Forbidden","statusCode":403}`)
}

func TestInsecureURLsPassOnlyWhenAllowed(t *testing.T) {
	h := newHarness(t, func(_ *api.Deps, o *api.Options) { o.AllowInsecureURLs = true })
	tok, _ := integrator(t)
	r := h.do(http.MethodPost, userPath, tok, map[string]any{"url": "http://localhost/hook", "events": []string{"all"}})
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
}

func TestNewCatalogEventIsAcceptedWithoutCodeChanges(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t)
	code := "facility.renamed." + strings.ToLower(t.Name()[:4])
	ctx := context.Background()
	cats, _, err := testDB.Stores.Catalog.Categories(ctx, hookflow.Page{Take: 100})
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(cats, func(c hookflow.Category) bool { return c.Code == "facility" })
	if i < 0 {
		t.Fatal("no facility category in the catalog")
	}
	ev, err := testDB.Stores.Catalog.CreateCatalogEvent(ctx, cats[i].ID, hookflow.CatalogEventInput{Code: code, Name: "Facility renamed", Version: "v1"}, "test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = testDB.Stores.Catalog.CatalogEventLifecycle(context.Background(), cats[i].ID, ev.ID, hookflow.ActionDelete, "test")
	})
	r := h.do(http.MethodPost, userPath, tok, map[string]any{"url": "https://example.com/hook", "events": []string{code}})
	if r.status != http.StatusCreated {
		t.Fatalf("status %d: %s", r.status, r.raw)
	}
}

func createWebhook(t *testing.T, h *harness, path, tok string, body map[string]any) map[string]any {
	t.Helper()
	r := h.do(http.MethodPost, path, tok, body)
	if r.status != http.StatusCreated {
		t.Fatalf("create: status %d: %s", r.status, r.raw)
	}
	return r.data(t)
}

func TestAnotherClientsWebhookIsNotFound(t *testing.T) {
	h := newHarness(t)
	owner, _ := integrator(t, "P-1")
	other, _ := integrator(t, "P-1")
	w := createWebhook(t, h, facilityPath, owner, map[string]any{"url": "https://example.com/a", "events": []string{"all"}})
	id := w["id"].(string)
	notFound := `{"message":"Webhook not found","error":"Not Found","statusCode":404}`

	expectJSON(t, h.do(http.MethodGet, facilityPath+"/"+id, other, nil), http.StatusNotFound, notFound)
	expectJSON(t, h.do(http.MethodPatch, facilityPath+"/"+id, other, map[string]any{"url": "https://evil.example.com"}), http.StatusNotFound, notFound)
	expectJSON(t, h.do(http.MethodDelete, facilityPath+"/"+id, other, nil), http.StatusNotFound, notFound)
	if r := h.do(http.MethodGet, facilityPath, other, nil); len(r.body["data"].([]any)) != 0 {
		t.Errorf("another client lists %s", r.raw)
	}
	// The webhook of another kind is not found either, nor is a malformed id.
	expectJSON(t, h.do(http.MethodGet, userPath+"/"+id, owner, nil), http.StatusNotFound, notFound)
	expectJSON(t, h.do(http.MethodGet, facilityPath+"/not-a-uuid", owner, nil), http.StatusNotFound, notFound)
	expectJSON(t, h.do(http.MethodPatch, userPath+"/cf3832dd-ba9b-4187-9ab2-c6cadafe875b", owner, map[string]any{"events": []string{"all"}}), http.StatusNotFound, notFound)

	// The owner still sees it untouched, and so does an admin.
	if r := h.do(http.MethodGet, facilityPath+"/"+id, owner, nil); r.status != http.StatusOK || r.data(t)["url"] != "https://example.com/a" {
		t.Errorf("owner get: %d %s", r.status, r.raw)
	}
	admin := token(t, auth.Principal{ClientID: "ops", Roles: []auth.Role{auth.RoleAdmin}})
	if r := h.do(http.MethodGet, facilityPath+"/"+id, admin, nil); r.status != http.StatusOK {
		t.Errorf("admin get: %d %s", r.status, r.raw)
	}
	// A full page: the admin sees every client's, which other tests add to.
	r := h.do(http.MethodGet, facilityPath+"?limit=100", admin, nil)
	found := false
	for _, item := range r.body["data"].([]any) {
		found = found || item.(map[string]any)["id"] == id
	}
	if !found {
		t.Errorf("admin list lacks %s", id)
	}
}

func TestListReturnsOnlyTheCallersWebhooksOfThatKind(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	a := createWebhook(t, h, facilityPath, tok, map[string]any{"url": "https://example.com/a", "events": []string{"all"}})
	b := createWebhook(t, h, facilityPath, tok, map[string]any{"url": "https://example.com/b", "events": []string{"shift.created"}})
	createWebhook(t, h, userPath, tok, map[string]any{"url": "https://example.com/u", "events": []string{"all"}})
	r := h.do(http.MethodGet, facilityPath, tok, nil)
	if r.status != http.StatusOK {
		t.Fatalf("list: %d %s", r.status, r.raw)
	}
	items := r.body["data"].([]any)
	if len(items) != 2 || items[0].(map[string]any)["id"] != a["id"] || items[1].(map[string]any)["id"] != b["id"] || r.body["total"] != float64(2) {
		t.Errorf("list = %s, want a then b", r.raw)
	}
}

func TestPatchIsPartial(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1", "P-2")
	w := createWebhook(t, h, facilityPath, tok, map[string]any{"url": "https://example.com/a", "events": []string{"all"}, "facilities": []string{"P-1"}, "secrets": []string{seedSecretA}})
	path := facilityPath + "/" + w["id"].(string)

	r := h.do(http.MethodPatch, path, tok, map[string]any{"events": []string{"shift.created"}})
	if r.status != http.StatusCreated {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	d := r.data(t)
	if d["url"] != "https://example.com/a" || !slices.Equal(strs(d["events"]), []string{"shift.created"}) ||
		!slices.Equal(strs(d["facilities"]), []string{"P-1"}) || !slices.Equal(strs(d["secrets"]), []string{seedSecretA}) {
		t.Errorf("patch changed more than events: %s", r.raw)
	}

	r = h.do(http.MethodPatch, path, tok, map[string]any{"url": "https://example.com/b", "facilities": []string{"P-2"}, "secrets": []string{seedSecretB, seedSecretA}})
	d = r.data(t)
	if d["url"] != "https://example.com/b" || !slices.Equal(strs(d["facilities"]), []string{"P-2"}) || !slices.Equal(strs(d["secrets"]), []string{seedSecretB, seedSecretA}) {
		t.Errorf("second patch: %s", r.raw)
	}
	if got := h.do(http.MethodGet, path, tok, nil).data(t); got["url"] != "https://example.com/b" {
		t.Errorf("get after patch: %v", got)
	}

	expectJSON(t, h.do(http.MethodPatch, path, tok, map[string]any{"url": "ftp://example.com", "events": []string{}}), http.StatusBadRequest,
		badRequest("should be a secure URL with HTTPS", "events must contain at least 1 elements"))
	expectJSON(t, h.do(http.MethodPatch, path, tok, map[string]any{"facilities": []string{"P-3"}}), http.StatusForbidden,
		`{"message":"Forbidden Resource","error":"Forbidden","statusCode":403}`)
}

func TestDeleteIsSoft(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t)
	w := createWebhook(t, h, userPath, tok, map[string]any{"url": "https://example.com/a", "events": []string{"all"}})
	id := w["id"].(string)
	if r := h.do(http.MethodDelete, userPath+"/"+id, tok, nil); r.status != http.StatusOK || r.data(t)["id"] != id {
		t.Fatalf("delete: %d %s", r.status, r.raw)
	}
	expectJSON(t, h.do(http.MethodGet, userPath+"/"+id, tok, nil), http.StatusNotFound, `{"message":"Webhook not found","error":"Not Found","statusCode":404}`)
	expectJSON(t, h.do(http.MethodDelete, userPath+"/"+id, tok, nil), http.StatusNotFound, `{"message":"Webhook not found","error":"Not Found","statusCode":404}`)
	var active, deleted bool
	err := testDB.DB.Pool().QueryRow(context.Background(), `SELECT active, deleted_at IS NOT NULL FROM webhooks WHERE id = $1`, id).Scan(&active, &deleted)
	if err != nil {
		t.Fatalf("deleted webhook row is gone: %v", err)
	}
	if active || !deleted {
		t.Errorf("row after delete: active=%v deleted=%v", active, deleted)
	}
}

// TestSecretsAreShownOnlyInTheAnswersTheSeedsShowThemIn: seeds 000, 001 and
// 002 show `secrets` in the answers to a create and an update, and a get of
// the one webhook shows them to its owner; a list and a delete leave them
// out, so listing cannot harvest every key at once.
func TestSecretsAreShownOnlyInTheAnswersTheSeedsShowThemIn(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	for _, path := range []string{facilityPath, userPath} {
		created := createWebhook(t, h, path, tok, map[string]any{"url": "https://example.com/a", "events": []string{"all"}, "secrets": []string{seedSecretA}})
		if !slices.Equal(strs(created["secrets"]), []string{seedSecretA}) {
			t.Errorf("create %s: secrets = %v, want them shown", path, created["secrets"])
		}
		one := path + "/" + created["id"].(string)
		patched := h.do(http.MethodPatch, one, tok, map[string]any{"secrets": []string{seedSecretB}}).data(t)
		if !slices.Equal(strs(patched["secrets"]), []string{seedSecretB}) {
			t.Errorf("patch %s: secrets = %v, want them shown", path, patched["secrets"])
		}
		var list struct{ Data []map[string]any }
		if err := json.Unmarshal([]byte(h.do(http.MethodGet, path, tok, nil).raw), &list); err != nil || len(list.Data) == 0 {
			t.Fatalf("list %s: %v", path, err)
		}
		if got := h.do(http.MethodGet, one, tok, nil).data(t); !slices.Equal(strs(got["secrets"]), []string{seedSecretB}) {
			t.Errorf("get %s: secrets = %v, want them shown", path, got["secrets"])
		}
		read := map[string]map[string]any{"list": list.Data[0], "delete": h.do(http.MethodDelete, one, tok, nil).data(t)}
		for what, d := range read {
			if d["id"] != created["id"] {
				t.Errorf("%s %s answered %v", what, path, d)
			}
			if secrets, has := d["secrets"]; has {
				t.Errorf("%s %s shows the secrets %v", what, path, secrets)
			}
		}
	}
}
