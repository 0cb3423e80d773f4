package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/internal/testenv"
)

// pageRefs finds what a page loads: src and href attributes, module imports
// and the document Redoc is given.
var pageRefs = regexp.MustCompile(`(?:src|href)="([^"]+)"|from\s+"([^"]+)"|init\(\s*"([^"]+)"`)

func TestDocsPageLoadsOnlyAssetsHookflowServes(t *testing.T) {
	h := newHarness(t)
	page := testenv.Do(t, http.MethodGet, h.url+"/docs", "", nil)
	if page.Status != http.StatusOK || !strings.Contains(page.Raw, "<!DOCTYPE html>") {
		t.Fatalf("GET /docs = %d %.200s", page.Status, page.Raw)
	}
	var refs []string
	for _, m := range pageRefs.FindAllStringSubmatch(page.Raw, -1) {
		refs = append(refs, m[1]+m[2]+m[3])
	}
	for _, want := range []string{"/docs/redoc.standalone.js", "/openapi.json"} {
		if !strings.Contains(strings.Join(refs, " "), want) {
			t.Errorf("the page does not load %s; it loads %v", want, refs)
		}
	}
	for _, ref := range refs {
		if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
			t.Errorf("the page loads %q, which is not on this server", ref)
			continue
		}
		r := testenv.Do(t, http.MethodGet, h.url+ref, "", nil)
		if r.Status != http.StatusOK || len(r.Raw) == 0 {
			t.Errorf("GET %s = %d with %d bytes", ref, r.Status, len(r.Raw))
		}
	}
}

func TestRedocBundleIsServedAsJavaScript(t *testing.T) {
	h := newHarness(t)
	req, _ := http.NewRequest(http.MethodGet, h.url+"/docs/redoc.standalone.js", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/javascript") {
		t.Fatalf("GET /docs/redoc.standalone.js = %d %s", resp.StatusCode, ct)
	}
	if resp.ContentLength < 1_000_000 {
		t.Errorf("the bundle is %d bytes: not Redoc's standalone build", resp.ContentLength)
	}
}

func TestOpenAPIDocumentIsServedAsJSONAndYAML(t *testing.T) {
	h := newHarness(t)
	js := h.do(http.MethodGet, "/openapi.json", "", nil)
	if js.status != http.StatusOK || js.body["openapi"] != "3.1.0" {
		t.Fatalf("GET /openapi.json = %d %.200s", js.status, js.raw)
	}
	paths, _ := js.body["paths"].(map[string]any)
	if _, ok := paths["/api/v2/public/webhooks/logs/{logId}/retry"]; !ok {
		t.Errorf("/openapi.json lacks the retry route; paths: %d", len(paths))
	}
	y := h.do(http.MethodGet, "/openapi.yaml", "", nil)
	if y.status != http.StatusOK || !strings.Contains(y.raw, "openapi: 3.1.0") {
		t.Fatalf("GET /openapi.yaml = %d %.200s", y.status, y.raw)
	}
}
