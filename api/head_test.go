package api_test

import (
	"io"
	"net/http"
	"testing"
)

// Monitors probe with HEAD: every GET route answers it as GET would (status,
// headers, Content-Length), without a body.
func TestHeadAnswersLikeGetWithoutABody(t *testing.T) {
	h := newHarness(t)
	admin := adminToken(t)
	for _, path := range []string{"/healthcheck", "/openapi.json", "/api/webhook-categories", "/api/v2/public/webhooks/logs", "/no-such-route"} {
		get := h.request(http.MethodGet, path, admin)
		head := h.request(http.MethodHead, path, admin)
		if head.StatusCode != get.StatusCode {
			t.Errorf("HEAD %s = %d, GET answers %d", path, head.StatusCode, get.StatusCode)
		}
		if got, want := head.Header.Get("Content-Type"), get.Header.Get("Content-Type"); got != want {
			t.Errorf("HEAD %s Content-Type = %q, GET's is %q", path, got, want)
		}
		if head.body != "" {
			t.Errorf("HEAD %s has a body: %.100s", path, head.body)
		}
		if get.body == "" {
			t.Errorf("GET %s has no body", path)
		}
	}
	if r := h.request(http.MethodHead, "/healthcheck", ""); r.StatusCode != http.StatusOK || r.ContentLength <= 0 {
		t.Errorf("HEAD /healthcheck = %d with Content-Length %d, want 200 with GET's length", r.StatusCode, r.ContentLength)
	}
}

type rawResponse struct {
	*http.Response
	body string
}

// request sends a bodiless request and reads the whole answer.
func (h *harness) request(method, path, tok string) rawResponse {
	h.t.Helper()
	req, err := http.NewRequest(method, h.url+path, nil)
	if err != nil {
		h.t.Fatal(err)
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		h.t.Fatal(err)
	}
	return rawResponse{Response: resp, body: string(b)}
}
