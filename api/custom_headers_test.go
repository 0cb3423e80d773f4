package api_test

import (
	"encoding/json"
	"maps"
	"net/http"
	"testing"
)

// headersOf reads the headers object of an answer.
func headersOf(d map[string]any) map[string]string {
	raw, _ := d["headers"].(map[string]any)
	out := map[string]string{}
	for k, v := range raw {
		out[k], _ = v.(string)
	}
	return out
}

// TestWebhookCustomHeadersAreShownWhereSecretsAreAndAPatchReplacesThem:
// create, patch and get of one show the headers, a list and a delete do
// not; a PATCH without headers keeps them, with headers replaces the whole
// set, and {} clears it.
func TestWebhookCustomHeadersAreShownWhereSecretsAreAndAPatchReplacesThem(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	headers := map[string]string{"Authorization": "Bearer receiver-token", "X-Tenant": "acme"}
	for _, path := range []string{facilityPath, userPath} {
		created := createWebhook(t, h, path, tok, map[string]any{"url": "https://example.com/a", "events": []string{"all"}, "headers": headers})
		if got := headersOf(created); !maps.Equal(got, headers) {
			t.Errorf("create %s: headers = %v, want %v", path, got, headers)
		}
		one := path + "/" + created["id"].(string)
		kept := h.do(http.MethodPatch, one, tok, map[string]any{"url": "https://example.com/b"}).data(t)
		if got := headersOf(kept); !maps.Equal(got, headers) {
			t.Errorf("patch %s without headers: %v, want them kept", path, got)
		}
		replaced := map[string]string{"X-Other": "1"}
		if got := headersOf(h.do(http.MethodPatch, one, tok, map[string]any{"headers": replaced}).data(t)); !maps.Equal(got, replaced) {
			t.Errorf("patch %s with headers: %v, want %v", path, got, replaced)
		}
		if got := headersOf(h.do(http.MethodGet, one, tok, nil).data(t)); !maps.Equal(got, replaced) {
			t.Errorf("get %s: headers = %v, want %v", path, got, replaced)
		}
		var list struct{ Data []map[string]any }
		if err := json.Unmarshal([]byte(h.do(http.MethodGet, path, tok, nil).raw), &list); err != nil || len(list.Data) == 0 {
			t.Fatalf("list %s: %v", path, err)
		}
		for _, d := range list.Data {
			if hs, has := d["headers"]; has {
				t.Errorf("list %s shows headers %v", path, hs)
			}
		}
		cleared := h.do(http.MethodPatch, one, tok, map[string]any{"headers": map[string]string{}}).data(t)
		if hs, has := cleared["headers"]; has {
			t.Errorf("patch %s with {}: headers = %v, want none", path, hs)
		}
		if d := h.do(http.MethodDelete, one, tok, nil).data(t); d["headers"] != nil {
			t.Errorf("delete %s shows headers %v", path, d["headers"])
		}
	}
}

// TestSubscriptionCustomHeadersAreSetPatchedAndCleared: a subscription's
// headers are shown on create, get and patch but not in the list; a JSON
// Patch adds one, replaces them, and `replace /headers {}` clears them;
// a bad one is refused naming it.
func TestSubscriptionCustomHeadersAreSetPatchedAndCleared(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	body := map[string]any{"postUri": "https://example.com/" + org, "events": []string{"all"}, "isDevelopment": false,
		"headers": map[string]string{"Authorization": "Bearer org-token"}}
	sub := mustStatus(t, h.do(http.MethodPost, subscriptionsURL(org), tok, body), http.StatusCreated)
	if got := headersOf(sub); got["Authorization"] != "Bearer org-token" || len(got) != 1 {
		t.Fatalf("create: headers = %v", got)
	}
	url := subscriptionURL(org, sub)
	// Subscribed to all events: deleted afterwards, so that tests listing every
	// organization's subscriptions to an event do not see it.
	t.Cleanup(func() { h.do(http.MethodDelete, url, tok, nil) })
	added := mustStatus(t, h.patch(url, tok, op("add", "/headers/X-Tenant", "acme")), http.StatusOK)
	if got := headersOf(added); !maps.Equal(got, map[string]string{"Authorization": "Bearer org-token", "X-Tenant": "acme"}) {
		t.Errorf("patch add: headers = %v", got)
	}
	if got := headersOf(mustStatus(t, h.do(http.MethodGet, url, tok, nil), http.StatusOK)); len(got) != 2 {
		t.Errorf("get: headers = %v", got)
	}
	list := h.do(http.MethodGet, subscriptionsURL(org), tok, nil)
	if items, _ := list.body["data"].([]any); len(items) != 1 || items[0].(map[string]any)["headers"] != nil {
		t.Errorf("list shows headers or is wrong: %s", list.raw)
	}
	expectJSON(t, h.patch(url, tok, op("add", "/headers/Webhook-Id", "forged")), http.StatusBadRequest, invalid("headers.Webhook-Id is reserved"))
	expectJSON(t, h.patch(url, tok, op("add", "/headers/X-Foo", "a\r\nb")), http.StatusBadRequest, invalid("headers.X-Foo must not contain CR or LF characters"))
	cleared := mustStatus(t, h.patch(url, tok, op("replace", "/headers", map[string]string{})), http.StatusOK)
	if hs, has := cleared["headers"]; has {
		t.Errorf("replace /headers {}: headers = %v, want none", hs)
	}
	expectJSON(t, h.do(http.MethodPost, subscriptionsURL(org), tok, map[string]any{"postUri": "https://example.com/x", "events": []string{"all"}, "isDevelopment": false,
		"headers": map[string]string{"content-length": "1"}}), http.StatusBadRequest, invalid("headers.content-length is reserved"))
}
