package api

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/hookflow/hookflow/auth"
)

// Every route of the organization table answers 403 to a token of another
// organization and to one without org_id, whatever roles it holds, before
// anything is looked up (this server has no stores to look in).
func TestEveryOrganizationRouteRefusesOtherOrganizationsTokens(t *testing.T) {
	gin.SetMode(gin.ReleaseMode)
	keys := auth.Keys{Secret: []byte("org-routes-test-secret-long-enough-for-hs256")}
	s := NewServer(Deps{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Verifier: auth.NewVerifier(keys)}, Options{})
	mint := func(p auth.Principal) string {
		tok, err := auth.Mint(keys, p, time.Minute, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	everyRole := []auth.Role{auth.RoleIntegrator, auth.RolePublisher, auth.RoleSupport}
	tokens := map[string]string{
		"another organization": mint(auth.Principal{Subject: "u", OrgID: "org-b", Roles: everyRole}),
		"no organization":      mint(auth.Principal{Subject: "u", Roles: everyRole}),
	}
	// Every route of the ECG table under an organization: subscriptions,
	// secrets, activity, activations and payload hashes.
	var routes, subscriptionsAndSecrets []route
	for _, r := range s.ecg {
		if strings.HasPrefix(r.path, organizationPath+"/") {
			routes = append(routes, r)
			if strings.HasPrefix(r.path, subscriptionsPath) && !strings.HasPrefix(r.path, activityListPath) && !strings.HasPrefix(r.path, activationListPath) {
				subscriptionsAndSecrets = append(subscriptionsAndSecrets, r)
			}
		}
	}
	if len(subscriptionsAndSecrets) < 14 {
		t.Fatalf("%d organization routes, want at least the 14 of subscriptions and secrets", len(subscriptionsAndSecrets))
	}
	if len(routes) < 24 {
		t.Fatalf("%d organization routes, want at least 24 with the 10 of activity, activations and payload hashes", len(routes))
	}
	for _, r := range routes {
		path := strings.ReplaceAll(r.path, ":organizationId", "org-a")
		path = ginParam.ReplaceAllString(path, "0b7e8c8e-9f3a-4a53-9a57-2b1f7c5d9e11")
		for name, tok := range tokens {
			req := httptest.NewRequest(r.method, path, strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer "+tok)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if rec.Code != http.StatusForbidden || !strings.Contains(rec.Body.String(), "Forbidden Resource") {
				t.Errorf("%s %s with a token of %s: %d %s", r.method, r.path, name, rec.Code, rec.Body.String())
			}
		}
	}
}
