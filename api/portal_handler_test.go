package api_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/auth"
)

func publisher(t *testing.T) string {
	return token(t, auth.Principal{ClientID: "platform", Roles: []auth.Role{auth.RolePublisher}})
}

func TestPortalLinkCarriesAnIntegratorTokenOfThatClientOnly(t *testing.T) {
	h := newHarness(t)
	before := time.Now().Truncate(time.Second)
	r := h.do(http.MethodPost, "/api/v2/portal/links", publisher(t), map[string]any{"clientId": "acme", "facilities": []string{"P-1", "P-2", "P-1"}, "expiresIn": 600})
	if r.status != http.StatusCreated {
		t.Fatalf("POST /api/v2/portal/links = %d %s", r.status, r.raw)
	}
	d := r.data(t)
	tok, _ := d["token"].(string)
	if url, _ := d["url"].(string); url != h.url+"/portal#token="+tok || tok == "" {
		t.Fatalf("url = %q, want %s/portal#token=<token>", url, h.url)
	}
	expires, err := time.Parse(time.RFC3339, d["expiresAt"].(string))
	if err != nil || expires.Before(before.Add(600*time.Second)) || expires.After(time.Now().Add(601*time.Second)) {
		t.Fatalf("expiresAt = %v (%v), want 10 minutes from now", d["expiresAt"], err)
	}
	p, err := auth.NewVerifier(testKeys).Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.ClientID != "acme" || !slices.Equal(p.Facilities, []string{"P-1", "P-2"}) || !slices.Equal(p.Roles, []auth.Role{auth.RoleIntegrator}) {
		t.Fatalf("the link's principal is %+v, want only integrator of acme on P-1, P-2", p)
	}
	// The token works on the public API as that integrator, and not as a publisher.
	if got := h.do(http.MethodGet, "/api/v2/public/webhooks/facility", tok, nil); got.status != http.StatusOK {
		t.Errorf("listing with the portal token = %d %s", got.status, got.raw)
	}
	if got := h.do(http.MethodPost, "/api/v2/portal/links", tok, map[string]any{"clientId": "other", "facilities": []string{"P-9"}}); got.status != http.StatusForbidden {
		t.Errorf("a portal token minting another link = %d, want 403", got.status)
	}
}

func TestPortalLinkDefaultsToAnHourAndAdminMayMintToo(t *testing.T) {
	h := newHarness(t)
	admin := token(t, auth.Principal{ClientID: "ops", Roles: []auth.Role{auth.RoleAdmin}})
	r := h.do(http.MethodPost, "/api/v2/portal/links", admin, map[string]any{"clientId": "acme", "facilities": []string{"P-1"}})
	if r.status != http.StatusCreated {
		t.Fatalf("admin POST = %d %s", r.status, r.raw)
	}
	expires, _ := time.Parse(time.RFC3339, r.data(t)["expiresAt"].(string))
	if d := time.Until(expires); d < 59*time.Minute || d > time.Hour+time.Second {
		t.Fatalf("a link without expiresIn lives %s, want 1h", d)
	}
	// Behind a TLS-terminating proxy the link says https.
	req, _ := http.NewRequest(http.MethodPost, h.url+"/api/v2/portal/links", strings.NewReader(`{"clientId":"acme","facilities":["P-1"]}`))
	req.Header.Set("Authorization", "Bearer "+admin)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-Proto", "https")
	if url, _ := h.send(req).data(t)["url"].(string); !strings.HasPrefix(url, "https://") {
		t.Errorf("behind a proxy the link is %q, want https://", url)
	}
}

func TestPortalLinkNeedsPublisherOrAdmin(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1")
	body := map[string]any{"clientId": "acme", "facilities": []string{"P-1"}}
	expectJSON(t, h.do(http.MethodPost, "/api/v2/portal/links", tok, body), http.StatusForbidden,
		`{"message":"Forbidden Resource","error":"Forbidden","statusCode":403}`)
	expectJSON(t, h.do(http.MethodPost, "/api/v2/portal/links", "", body), http.StatusUnauthorized,
		`{"message":"Unauthorized","statusCode":401}`)
}

func TestPortalLinkValidationMessages(t *testing.T) {
	h := newHarness(t)
	pub := publisher(t)
	cases := []struct {
		name string
		body any
		want string
	}{
		{"empty", map[string]any{}, `["clientId must be a string","clientId should not be empty","facilities must be an array","facilities must contain at least 1 elements"]`},
		{"wrong types", map[string]any{"clientId": 7, "facilities": "P-1", "expiresIn": "soon"},
			`["clientId must be a string","facilities must be an array","expiresIn must be an integer number"]`},
		{"out of range", map[string]any{"clientId": "", "facilities": []any{}, "expiresIn": 86401},
			`["clientId should not be empty","facilities must contain at least 1 elements","expiresIn must not be greater than 86400"]`},
		{"too short, a number item, unknown", map[string]any{"clientId": "a", "facilities": []any{1}, "expiresIn": 59, "role": "admin"},
			`["each value in facilities must be a string","expiresIn must not be less than 60","property role should not exist"]`},
		{"not integer", map[string]any{"clientId": "a", "facilities": []any{"P-1"}, "expiresIn": 100.5}, `["expiresIn must be an integer number"]`},
		{"too long", map[string]any{"clientId": strings.Repeat("c", 256), "facilities": []any{"P-1"}}, `["clientId must be shorter than or equal to 255 characters"]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectJSON(t, h.do(http.MethodPost, "/api/v2/portal/links", pub, tc.body), http.StatusBadRequest,
				`{"message":`+tc.want+`,"error":"Bad Request","statusCode":400}`)
		})
	}
}

func TestPortalLinkIs501WithAPublicKey(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	// The server verifies with a public key; a secret left configured
	// beside it must not sign tokens the server itself would refuse.
	h := newHarness(t, func(d *api.Deps, _ *api.Options) {
		d.Verifier = auth.NewVerifier(auth.Keys{Secret: testKeys.Secret, PublicKey: &key.PublicKey})
	})
	pubTok, err := jwt.NewWithClaims(jwt.SigningMethodES256, jwt.MapClaims{
		"client_id": "platform", "roles": []string{"publisher"}, "exp": time.Now().Add(time.Hour).Unix(),
	}).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	expectJSON(t, h.do(http.MethodPost, "/api/v2/portal/links", pubTok, map[string]any{"clientId": "acme", "facilities": []string{"P-1"}}),
		http.StatusNotImplemented,
		`{"message":"Portal links need HOOKFLOW_JWT_SECRET: this server verifies tokens with a public key and cannot sign them","error":"Not Implemented","statusCode":501}`)
}

func TestPortalPageIsServedWithAStrictPolicy(t *testing.T) {
	h := newHarness(t)
	for path, ctype := range map[string]string{"/portal": "text/html", "/portal/portal.js": "text/javascript", "/portal/health.js": "text/javascript", "/portal/portal.css": "text/css"} {
		resp, err := http.Get(h.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), ctype) {
			t.Errorf("GET %s = %d %s", path, resp.StatusCode, resp.Header.Get("Content-Type"))
		}
		csp := resp.Header.Get("Content-Security-Policy")
		for _, want := range []string{"default-src 'self'", "script-src 'self';", "connect-src 'self'", "frame-ancestors 'none'"} {
			if !strings.Contains(csp, want) {
				t.Errorf("%s: Content-Security-Policy %q lacks %q", path, csp, want)
			}
		}
		if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: Content-Security-Policy %q allows inline or eval", path, csp)
		}
	}
	page := h.do(http.MethodGet, "/portal", "", nil)
	// Everything the page loads is on this server, and no script is inline.
	for _, m := range pageRefs.FindAllStringSubmatch(page.raw, -1) {
		if ref := m[1] + m[2] + m[3]; !strings.HasPrefix(ref, "/portal/") && ref != "data:," { // data:, is the empty favicon
			t.Errorf("the portal page loads %q, not from this server's /portal/", ref)
		}
	}
	if strings.Contains(page.raw, "<script>") || strings.Contains(page.raw, "style=") {
		t.Error("the portal page has an inline script or style, which its policy refuses")
	}
}

// An organization's link carries a token of that organization only: its
// subscriptions, nothing of another organization's, no public-API role.
func TestOrganizationPortalLinkIsScopedToThatOrganization(t *testing.T) {
	h := newHarness(t)
	r := h.do(http.MethodPost, "/api/v2/portal/links", publisher(t), map[string]any{"organizationId": "org-portal", "expiresIn": 900})
	if r.status != http.StatusCreated {
		t.Fatalf("POST /api/v2/portal/links = %d %s", r.status, r.raw)
	}
	tok, _ := r.data(t)["token"].(string)
	p, err := auth.NewVerifier(testKeys).Verify(tok)
	if err != nil {
		t.Fatal(err)
	}
	if p.OrgID != "org-portal" || len(p.Roles) != 0 || len(p.Facilities) != 0 {
		t.Fatalf("the organization link's principal is %+v, want org_id org-portal and no role", p)
	}
	if got := h.do(http.MethodGet, "/api/organizations/org-portal/webhook-subscriptions", tok, nil); got.status != http.StatusOK {
		t.Errorf("its own subscriptions = %d %s", got.status, got.raw)
	}
	forbidden := `{"message":"Forbidden Resource","error":"Forbidden","statusCode":403}`
	expectJSON(t, h.do(http.MethodGet, "/api/organizations/org-other/webhook-subscriptions", tok, nil), http.StatusForbidden, forbidden)
	if got := h.do(http.MethodGet, "/api/v2/public/webhooks/facility", tok, nil); got.status != http.StatusForbidden {
		t.Errorf("the public API with an organization link = %d, want 403", got.status)
	}
}

func TestPortalLinkTakesExactlyOneForm(t *testing.T) {
	h := newHarness(t)
	pub := publisher(t)
	expectJSON(t, h.do(http.MethodPost, "/api/v2/portal/links", pub, map[string]any{"organizationId": "org-a", "clientId": "acme", "facilities": []string{"P-1"}}),
		http.StatusBadRequest, `{"message":["property clientId should not exist","property facilities should not exist","Give either organizationId, or clientId and facilities, not both"],"error":"Bad Request","statusCode":400}`)
	expectJSON(t, h.do(http.MethodPost, "/api/v2/portal/links", pub, map[string]any{"organizationId": "", "expiresIn": 86401}),
		http.StatusBadRequest, `{"message":["organizationId should not be empty","expiresIn must not be greater than 86400"],"error":"Bad Request","statusCode":400}`)
}
