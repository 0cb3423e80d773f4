package api

import (
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// A write added to the catalog's route table without a role would be open
// to any token; the table is checked as a whole.
func TestEveryCatalogWriteNeedsAdmin(t *testing.T) {
	s := NewServer(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Options{})
	var routes []route
	for _, r := range s.ecg {
		if !strings.HasPrefix(r.path, organizationPath+"/") {
			routes = append(routes, r)
		}
	}
	if len(routes) != 26+3 {
		t.Errorf("%d catalog routes, want 29 (seed 003's catalog half and the event schema's three)", len(routes))
	}
	for _, r := range routes {
		admin := slices.Equal(r.roles, adminOnly)
		switch {
		case r.method != http.MethodGet && !admin:
			t.Errorf("%s %s is a write open to any token", r.method, r.path)
		case r.method == http.MethodGet && r.roles != nil && !admin:
			t.Errorf("%s %s has roles %v", r.method, r.path, r.roles)
		}
	}
}

// Every GET route answers HEAD too, and no other route does.
func TestEveryGetRouteAnswersHead(t *testing.T) {
	s := NewServer(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}, Options{})
	gets, heads := map[string]bool{}, map[string]bool{}
	for _, r := range s.engine.Routes() {
		switch r.Method {
		case http.MethodGet:
			gets[r.Path] = true
		case http.MethodHead:
			heads[r.Path] = true
		}
	}
	if len(gets) == 0 || len(gets) != len(heads) {
		t.Errorf("%d GET routes, %d HEAD routes", len(gets), len(heads))
	}
	for path := range gets {
		if !heads[path] {
			t.Errorf("GET %s does not answer HEAD", path)
		}
	}
}
