package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/metrics"
)

// pageRefs finds what a page or script loads: src and href attributes,
// module imports and the document Redoc is given.
var pageRefs = regexp.MustCompile(`(?:src|href)="([^"]+)"|from\s+"([^"]+)"|init\(\s*"([^"]+)"`)

func TestDocsPageLoadsOnlyAssetsHookflowServes(t *testing.T) {
	h := newHarness(t)
	page := testenv.Do(t, http.MethodGet, h.url+"/docs", "", nil)
	if page.Status != http.StatusOK || !strings.Contains(page.Raw, "<!DOCTYPE html>") {
		t.Fatalf("GET /docs = %d %.200s", page.Status, page.Raw)
	}
	// The page and the scripts it loads, except Redoc's bundle itself.
	var refs []string
	queue := []string{page.Raw}
	for len(queue) > 0 {
		text := queue[0]
		queue = queue[1:]
		for _, m := range pageRefs.FindAllStringSubmatch(text, -1) {
			ref := m[1] + m[2] + m[3]
			refs = append(refs, ref)
			if strings.HasPrefix(ref, "data:") {
				continue
			}
			if !strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "//") {
				t.Errorf("the docs page loads %q, which is not on this server", ref)
				continue
			}
			r := testenv.Do(t, http.MethodGet, h.url+ref, "", nil)
			if r.Status != http.StatusOK || len(r.Raw) == 0 {
				t.Errorf("GET %s = %d with %d bytes", ref, r.Status, len(r.Raw))
			}
			if strings.HasSuffix(ref, ".js") && !strings.HasSuffix(ref, "redoc.standalone.js") {
				queue = append(queue, r.Raw)
			}
		}
	}
	for _, want := range []string{"/docs/docs.js", "/docs/redoc.standalone.js", "/openapi.json"} {
		if !strings.Contains(strings.Join(refs, " "), want) {
			t.Errorf("the docs page does not load %s; it loads %v", want, refs)
		}
	}
}

func TestDocsPageForbidsLoadingFromElsewhere(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Get(h.url + "/docs")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'self'", "script-src 'self'", "img-src 'self' data:", "connect-src 'self'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
}

func TestRedocBundleIsServedAsJavaScript(t *testing.T) {
	h := newHarness(t)
	resp, err := http.Get(h.url + "/docs/redoc.standalone.js")
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

// The scrape is on the document's list of routes; its answer is checked
// against it like every other (status and content type).
func TestMetricsScrapeAnswersAsDocumented(t *testing.T) {
	h := newHarness(t, func(d *api.Deps, _ *api.Options) {
		m, err := metrics.New(testenv.DiscardLogger())
		if err != nil {
			t.Fatal(err)
		}
		d.Metrics = m
	})
	h.do(http.MethodGet, "/healthcheck", "", nil)
	r := h.do(http.MethodGet, "/metrics", "", nil)
	if r.status != http.StatusOK || !strings.Contains(r.raw, `route="/healthcheck"`) {
		t.Fatalf("GET /metrics = %d, without the health check's request: %.300s", r.status, r.raw)
	}
}
