package api_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/hookflow/hookflow"
)

// countWebhooks counts a client's stored webhooks, deleted or not.
func countWebhooks(t *testing.T, clientID string) int {
	t.Helper()
	var n int
	if err := testDB.DB.Pool().QueryRow(context.Background(), `SELECT count(*) FROM webhooks WHERE client_id = $1`, clientID).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

const undeclaredFoo = "filter is not a valid expression: ERROR: <input>:1:1: undeclared reference to 'foo'"

func TestWebhookFilterIsCompiledOnCreateAndPatch(t *testing.T) {
	h := newHarness(t)
	tok, client := integrator(t, "P-1")
	body := func(filter any) map[string]any {
		return map[string]any{"url": "https://example.com/hook", "events": []string{"shift.created"}, "filter": filter}
	}
	for _, tt := range []struct {
		name   string
		filter any
		want   string
	}{
		{"undeclared", "foo == 1", undeclaredFoo},
		{"syntax", "data.shiftId ==", "filter is not a valid expression: ERROR: <input>:1:16: Syntax error: mismatched input '<EOF>'"},
		{"not a bool", `eventType + "x"`, "filter is not a valid expression: it must be a bool, not string"},
		{"not a string", 7, "filter must be a string"},
		{"too long", strings.Repeat(" ", hookflow.MaxFilterLength) + "true", "filter must be shorter than or equal to 1024 characters"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := h.do(http.MethodPost, facilityPath, tok, body(tt.filter))
			msgs := strs(r.body["message"])
			if r.status != http.StatusBadRequest || len(msgs) != 1 || !strings.HasPrefix(msgs[0], tt.want) {
				t.Fatalf("create with filter %.40v = %d %s, want a 400 starting %q", tt.filter, r.status, r.raw, tt.want)
			}
		})
	}
	if n := countWebhooks(t, client); n != 0 {
		t.Fatalf("refused creates stored %d webhooks", n)
	}

	created := mustStatus(t, h.do(http.MethodPost, facilityPath, tok, body(`data.shiftId == "s-1"`)), http.StatusCreated)["data"].(map[string]any)
	if created["filter"] != `data.shiftId == "s-1"` {
		t.Fatalf("created = %v, want its filter shown", created)
	}
	url := facilityPath + "/" + created["id"].(string)
	expectJSON(t, h.do(http.MethodPatch, url, tok, map[string]any{"filter": "foo == 1"}), http.StatusBadRequest, badRequest(undeclaredFoo))
	got := mustStatus(t, h.do(http.MethodGet, url, tok, nil), http.StatusOK)["data"].(map[string]any)
	if got["filter"] != `data.shiftId == "s-1"` {
		t.Fatalf("after a refused patch: %v", got)
	}
	patched := mustStatus(t, h.do(http.MethodPatch, url, tok, map[string]any{"filter": "data.amount > 100"}), http.StatusCreated)["data"].(map[string]any)
	if patched["filter"] != "data.amount > 100" {
		t.Fatalf("patched = %v", patched)
	}
	// An empty filter removes it; the answer leaves filter out.
	cleared := mustStatus(t, h.do(http.MethodPatch, url, tok, map[string]any{"filter": ""}), http.StatusCreated)["data"].(map[string]any)
	if _, ok := cleared["filter"]; ok {
		t.Fatalf("cleared = %v, want no filter", cleared)
	}
}

func TestUserWebhookFilterIsCompiled(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t)
	r := h.do(http.MethodPost, userPath, tok, map[string]any{"url": "https://example.com/hook", "events": []string{"all"}, "filter": "foo == 1"})
	expectJSON(t, r, http.StatusBadRequest, badRequest(undeclaredFoo))
	created := mustStatus(t, h.do(http.MethodPost, userPath, tok, map[string]any{"url": "https://example.com/hook", "events": []string{"all"},
		"filter": `clientId != "" && data.amount > 100`}), http.StatusCreated)["data"].(map[string]any)
	if created["filter"] != `clientId != "" && data.amount > 100` {
		t.Fatalf("created = %v", created)
	}
}

func TestSubscriptionFilterIsCompiledOnCreateAndPatch(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	body := map[string]any{"postUri": "https://example.com/" + org, "events": []string{"all"}, "isDevelopment": false, "filter": "foo == 1"}
	expectJSON(t, h.do(http.MethodPost, subscriptionsURL(org), tok, body), http.StatusBadRequest, invalid(undeclaredFoo))
	list := mustStatus(t, h.do(http.MethodGet, subscriptionsURL(org), tok, nil), http.StatusOK)
	if strs(list["data"]) == nil || len(list["data"].([]any)) != 0 {
		t.Fatalf("a refused create stored %v", list)
	}
	body["filter"] = `organizationId == "` + org + `"`
	sub := mustStatus(t, h.do(http.MethodPost, subscriptionsURL(org), tok, body), http.StatusCreated)
	// Other tests list every organization's subscriptions to an event.
	t.Cleanup(func() { h.do(http.MethodDelete, subscriptionURL(org, sub), tok, nil) })
	if sub["filter"] != body["filter"] {
		t.Fatalf("created = %v", sub)
	}
	url := subscriptionURL(org, sub)
	expectJSON(t, h.patch(url, tok, op("replace", "/filter", "foo == 1")), http.StatusBadRequest, invalid(undeclaredFoo))
	if got := mustStatus(t, h.do(http.MethodGet, url, tok, nil), http.StatusOK); got["filter"] != body["filter"] {
		t.Fatalf("after a refused patch: %v", got)
	}
	if got := mustStatus(t, h.patch(url, tok, op("replace", "/filter", "data.n == 1")), http.StatusOK); got["filter"] != "data.n == 1" {
		t.Fatalf("replaced: %v", got)
	}
	if got := mustStatus(t, h.patch(url, tok, op("remove", "/filter")), http.StatusOK); got["filter"] != nil {
		t.Fatalf("removed: %v", got)
	}
	if got := mustStatus(t, h.patch(url, tok, op("add", "/filter", "data.n == 2")), http.StatusOK); got["filter"] != "data.n == 2" {
		t.Fatalf("added: %v", got)
	}
}
