package api_test

import (
	"fmt"
	"net/http"
	"testing"
)

// listIDs lists a page of webhooks and returns their ids and the total.
func listIDs(t *testing.T, h *harness, path, tok string) ([]string, float64) {
	t.Helper()
	r := h.do(http.MethodGet, path, tok, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.raw)
	}
	var ids []string
	for _, item := range r.body["data"].([]any) {
		ids = append(ids, item.(map[string]any)["id"].(string))
	}
	total, _ := r.body["total"].(float64)
	return ids, total
}

func TestListPagesWithLimitAndOffset(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t)
	var created []string
	for i := range 3 {
		w := createWebhook(t, h, userPath, tok, map[string]any{"url": fmt.Sprintf("https://example.com/%d", i), "events": []string{"all"}})
		created = append(created, w["id"].(string))
	}
	tests := []struct {
		query string
		want  []string
	}{
		{"", created},
		{"?limit=2", created[:2]},
		{"?limit=2&offset=2", created[2:]},
		{"?offset=1", created[1:]},
		{"?offset=5", nil},
		{"?limit=0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			ids, total := listIDs(t, h, userPath+tt.query, tok)
			if fmt.Sprint(ids) != fmt.Sprint(tt.want) || total != 3 {
				t.Errorf("page = %v of %v, want %v of 3", ids, total, tt.want)
			}
		})
	}
}

func TestListAnswersTenWebhooksUnlessAskedOtherwise(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	for i := range 11 {
		createWebhook(t, h, facilityPath, tok, map[string]any{"url": fmt.Sprintf("https://example.com/%d", i), "events": []string{"all"}})
	}
	if ids, total := listIDs(t, h, facilityPath, tok); len(ids) != 10 || total != 11 {
		t.Errorf("default page = %d webhooks of %v, want 10 of 11", len(ids), total)
	}
	if ids, total := listIDs(t, h, facilityPath+"?limit=100", tok); len(ids) != 11 || total != 11 {
		t.Errorf("limit=100 = %d webhooks of %v, want 11 of 11", len(ids), total)
	}
}

// The listing's limit and offset are the logs' (seed 004): same rules, same words.
func TestListPaginationMessagesMatchTheLogs(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	tests := []struct {
		query string
		want  []string
	}{
		{"limit=-1", []string{"limit must not be less than 0"}},
		{"limit=101", []string{"limit must not be greater than 100"}},
		{"limit=ten", []string{"limit must be a number conforming to the specified constraints"}},
		{"offset=many", []string{"offset must be a number conforming to the specified constraints"}},
		{"offset=-3", []string{"offset must not be less than 0"}},
		{"offset=10001", []string{"offset must not be greater than 10000"}},
		{"limit=500&offset=-1&page=2", []string{"limit must not be greater than 100", "offset must not be less than 0", "property page should not exist"}},
	}
	for _, tt := range tests {
		for _, path := range []string{facilityPath, userPath} {
			t.Run(path+"?"+tt.query, func(t *testing.T) {
				expectJSON(t, h.do(http.MethodGet, path+"?"+tt.query, tok, nil), http.StatusBadRequest, badRequest(tt.want...))
				expectJSON(t, h.do(http.MethodGet, "/api/v2/public/webhooks/logs?"+tt.query, tok, nil), http.StatusBadRequest, badRequest(tt.want...))
			})
		}
	}
}
