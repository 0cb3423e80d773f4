package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCreateCategoryAnswersTheEntityWithItsInfoBlocks(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	r := h.do(http.MethodPost, "/api/webhook-categories", admin, map[string]any{"name": "Vitals", "code": "vitals-x1", "description": "Vital signs"})
	got := mustStatus(t, r, http.StatusCreated)
	if got["name"] != "Vitals" || got["code"] != "vitals-x1" || got["description"] != "Vital signs" || got["id"] == "" {
		t.Errorf("created = %s", r.raw)
	}
	audit := got["auditInfo"].(map[string]any)
	if _, err := time.Parse(time.RFC3339, audit["createdAt"].(string)); err != nil || audit["createdBy"] == nil || audit["createdBy"] != audit["updatedBy"] {
		t.Errorf("auditInfo = %v", audit)
	}
	if active := got["activeInfo"].(map[string]any); active["isActive"] != true || active["changedAt"] != nil || active["changedBy"] != nil {
		t.Errorf("activeInfo = %v", active)
	}
	if archive := got["archiveInfo"].(map[string]any); archive["isArchived"] != false || archive["archivedAt"] != nil || archive["archivedBy"] != nil {
		t.Errorf("archiveInfo = %v", archive)
	}
	again := h.do(http.MethodGet, "/api/webhook-categories/"+got["id"].(string), admin, nil)
	if again.status != http.StatusOK || again.raw != r.raw {
		t.Errorf("get = %d %s, want the created entity %s", again.status, again.raw, r.raw)
	}
	// No description is null, as the seed's "string | null".
	bare := mustStatus(t, h.do(http.MethodPost, "/api/webhook-categories", admin, map[string]any{"name": "N", "code": "bare-x1", "description": nil}), http.StatusCreated)
	if v, has := bare["description"]; !has || v != nil {
		t.Errorf("description = %v, want null", v)
	}
	expectJSON(t, h.do(http.MethodPost, "/api/webhook-categories", admin, map[string]any{"name": "Again", "code": "vitals-x1"}),
		http.StatusConflict, conflict("Webhook category with code vitals-x1 already exists"))
}

func TestCreateCategoryValidationMessages(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	codeRule := "code must match /^[a-z][a-z0-9-]*$/ regular expression"
	tests := []struct {
		name string
		body any
		want []string
	}{
		{"empty body", map[string]any{}, []string{"name should not be empty", "name must be a string", "code should not be empty", "code must be a string", codeRule}},
		{"empty strings", map[string]any{"name": "", "code": ""}, []string{"name should not be empty", "code should not be empty", codeRule}},
		{"wrong types", map[string]any{"name": 1, "code": true, "description": 3}, []string{"name must be a string", "code must be a string", codeRule, "description must be a string"}},
		{"code with capitals and a dot", map[string]any{"name": "n", "code": "Shift.x"}, []string{codeRule}},
		{"code starting with a digit", map[string]any{"name": "n", "code": "1abc"}, []string{codeRule}},
		{"name too long", map[string]any{"name": strings.Repeat("n", 256), "code": "ok"}, []string{"name must be shorter than or equal to 255 characters"}},
		{"unknown property", map[string]any{"name": "n", "code": "ok", "id": "x"}, []string{"property id should not exist"}},
		{"malformed JSON", `{"name":`, []string{"Request body is not valid JSON"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectJSON(t, h.do(http.MethodPost, "/api/webhook-categories", admin, tt.body), http.StatusBadRequest, badRequest(tt.want...))
		})
	}
}

func TestListCategoriesPagesByCreationTime(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	reader, _ := integrator(t)
	a, b := newCategory(t, h, admin), newCategory(t, h, admin)

	all := mustStatus(t, h.do(http.MethodGet, "/api/webhook-categories?take=100", reader, nil), http.StatusOK)
	data := all["data"].([]any)
	if int(all["total"].(float64)) != len(data) || len(data) < 4 {
		t.Fatalf("list = %v", all)
	}
	first, last := data[0].(map[string]any), data[len(data)-1].(map[string]any)
	if first["code"] != "shift" || data[1].(map[string]any)["code"] != "facility" || last["id"] != b["id"] {
		t.Errorf("ascending: first %v, last %v", first["code"], last["code"])
	}
	newest := mustStatus(t, h.do(http.MethodGet, "/api/webhook-categories?order_by=DESC&take=2", reader, nil), http.StatusOK)
	page := newest["data"].([]any)
	if len(page) != 2 || page[0].(map[string]any)["id"] != b["id"] || page[1].(map[string]any)["id"] != a["id"] || newest["total"] != all["total"] {
		t.Errorf("DESC take 2 = %v", newest)
	}
	skipped := mustStatus(t, h.do(http.MethodGet, "/api/webhook-categories?skip=1&take=1", reader, nil), http.StatusOK)
	if page := skipped["data"].([]any); len(page) != 1 || page[0].(map[string]any)["code"] != "facility" {
		t.Errorf("skip 1 take 1 = %v", skipped)
	}
	if d := mustStatus(t, h.do(http.MethodGet, "/api/webhook-categories", reader, nil), http.StatusOK)["data"].([]any); len(d) > 10 {
		t.Errorf("default take gives %d items", len(d))
	}
}

func TestListParametersValidationMessages(t *testing.T) {
	h := newHarness(t)
	reader, _ := integrator(t)
	tests := []struct {
		query string
		want  []string
	}{
		{"order_by=up", []string{"order_by must be one of the following values: ASC, DESC"}},
		{"skip=-1", []string{"skip must not be less than 0"}},
		{"skip=abc", []string{"skip must be an integer number"}},
		{"skip=1.5", []string{"skip must be an integer number"}},
		{"take=0", []string{"take must not be less than 1"}},
		{"take=101", []string{"take must not be greater than 100"}},
		{"take=x&skip=-2&order_by=", []string{"order_by must be one of the following values: ASC, DESC", "skip must not be less than 0", "take must be an integer number"}},
		{"page=2", []string{"property page should not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			expectJSON(t, h.do(http.MethodGet, "/api/webhook-categories?"+tt.query, reader, nil), http.StatusBadRequest, badRequest(tt.want...))
		})
	}
	// Every list of the module shares the rules.
	cat := newCategory(t, h, adminToken(t))
	expectJSON(t, h.do(http.MethodGet, eventsURL(cat)+"?take=0", reader, nil), http.StatusBadRequest, badRequest("take must not be less than 1"))
}

func TestCategoryLifecycleHidesKeepsAndDeletes(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	url := categoryURL(cat)
	listed := func() bool {
		t.Helper()
		for _, item := range mustStatus(t, h.do(http.MethodGet, "/api/webhook-categories?take=100", admin, nil), http.StatusOK)["data"].([]any) {
			if item.(map[string]any)["id"] == cat["id"] {
				return true
			}
		}
		return false
	}
	expectJSON(t, h.do(http.MethodPost, url+"/archive", admin, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodPost, url+"/archive", admin, nil), http.StatusOK, valueTrue) // harmless again
	archived := mustStatus(t, h.do(http.MethodGet, url, admin, nil), http.StatusOK)["archiveInfo"].(map[string]any)
	if listed() || archived["isArchived"] != true || archived["archivedAt"] == nil || archived["archivedBy"] == nil {
		t.Errorf("archived: listed %v, archiveInfo %v", listed(), archived)
	}
	expectJSON(t, h.do(http.MethodPost, url+"/restore", admin, nil), http.StatusOK, valueTrue)
	if !listed() {
		t.Error("restored category is not listed")
	}
	expectJSON(t, h.do(http.MethodPost, url+"/deactivate", admin, nil), http.StatusOK, valueTrue)
	active := mustStatus(t, h.do(http.MethodGet, url, admin, nil), http.StatusOK)["activeInfo"].(map[string]any)
	if !listed() || active["isActive"] != false || active["changedAt"] == nil || active["changedBy"] == nil {
		t.Errorf("deactivated: listed %v, activeInfo %v", listed(), active)
	}
	expectJSON(t, h.do(http.MethodPost, url+"/activate", admin, nil), http.StatusOK, valueTrue)
	if mustStatus(t, h.do(http.MethodGet, url, admin, nil), http.StatusOK)["activeInfo"].(map[string]any)["isActive"] != true {
		t.Error("activated category is inactive")
	}

	ev := newCatalogEvent(t, h, admin, cat, "held")
	expectJSON(t, h.do(http.MethodDelete, url, admin, nil), http.StatusConflict, conflict("Webhook category still has webhook events"))
	expectJSON(t, h.do(http.MethodDelete, eventURL(cat, ev), admin, nil), http.StatusOK, valueTrue)
	expectJSON(t, h.do(http.MethodDelete, url, admin, nil), http.StatusOK, valueTrue)
	for _, r := range []response{h.do(http.MethodGet, url, admin, nil), h.do(http.MethodDelete, url, admin, nil), h.do(http.MethodPost, url+"/restore", admin, nil)} {
		expectJSON(t, r, http.StatusNotFound, notFoundOf("Webhook category"))
	}
	if listed() {
		t.Error("deleted category is listed")
	}
}

func TestPatchCategoryAppliesJSONPatchToEditableFields(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	cat := newCategory(t, h, admin)
	url := categoryURL(cat)

	got := mustStatus(t, h.patch(url, admin, op("test", "/name", cat["name"]), op("replace", "/name", "Renamed"), op("add", "/description", "Now described")), http.StatusOK)
	if got["name"] != "Renamed" || got["description"] != "Now described" || got["code"] != cat["code"] {
		t.Errorf("patched = %v", got)
	}
	// application/json is accepted too.
	got = mustStatus(t, h.doWith(http.MethodPatch, url, admin, []any{op("remove", "/description")}, "Content-Type", "application/json"), http.StatusOK)
	if got["description"] != nil {
		t.Errorf("description after remove = %v", got["description"])
	}
	tests := []struct {
		name string
		ops  []map[string]any
		want []string
	}{
		{"id", []map[string]any{op("replace", "/id", randomUUID)}, []string{"path /id cannot be patched"}},
		{"info block", []map[string]any{op("replace", "/auditInfo/createdBy", "x")}, []string{"path /auditInfo/createdBy cannot be patched"}},
		{"move from a closed path", []map[string]any{{"op": "move", "from": "/id", "path": "/name"}}, []string{"path /id cannot be patched"}},
		{"unknown op", []map[string]any{op("merge", "/name", "x")}, []string{"0.op must be one of the following values: add, remove, replace, move, copy, test"}},
		{"no path, no value", []map[string]any{{"op": "replace"}}, []string{"0.path must be a string", "0.value must be present for replace"}},
		{"result breaks a rule", []map[string]any{op("replace", "/code", "Bad Code"), op("remove", "/name")}, []string{"name should not be empty", "name must be a string", "code must match /^[a-z][a-z0-9-]*$/ regular expression"}},
		{"copy without from", []map[string]any{op("copy", "/name")}, []string{"0.from must be present for copy"}},
		{"a field the entity lacks", []map[string]any{op("add", "/color", "red")}, []string{"path /color cannot be patched"}},
		{"below a string", []map[string]any{op("add", "/name/first", "x")}, []string{"operation 0 (add /name/first) cannot be applied"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectJSON(t, h.patch(url, admin, tt.ops...), http.StatusBadRequest, badRequest(tt.want...))
		})
	}
	expectJSON(t, h.patch(url, admin, op("test", "/name", "Not the name"), op("replace", "/name", "x")), http.StatusConflict,
		conflict("JSON Patch test failed: /name does not hold the given value"))
	for body, want := range map[string]string{
		`{"op":"replace"}`: "Request body must be a JSON Patch document: an array of operations",
		`[{"op":`:          "Request body is not valid JSON",
		`[] []`:            "Request body is not valid JSON",
		"[\"\xff\"]":       "Request body must be valid UTF-8",
	} {
		expectJSON(t, h.doWith(http.MethodPatch, url, admin, body, "Content-Type", jsonPatchType), http.StatusBadRequest, invalid(want))
	}
	expectJSON(t, h.doWith(http.MethodPatch, url, admin, `[]`, "Content-Type", "text/plain"), http.StatusBadRequest,
		badRequest("Content-Type must be application/json-patch+json or application/json"))
	if after := mustStatus(t, h.do(http.MethodGet, url, admin, nil), http.StatusOK); after["name"] != "Renamed" {
		t.Errorf("a refused patch changed the category: %v", after)
	}

	other := newCategory(t, h, admin)
	expectJSON(t, h.patch(url, admin, op("replace", "/code", other["code"])), http.StatusConflict,
		conflict("Webhook category with code "+other["code"].(string)+" already exists"))
	newCatalogEvent(t, h, admin, cat, "pinned")
	expectJSON(t, h.patch(url, admin, op("replace", "/code", "moved-away")), http.StatusConflict,
		conflict("Webhook category code cannot change while the category has webhook events"))
}
