package api_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookflow/hookflow/auth"
)

const unauthorized = `{"message":"Unauthorized","statusCode":401}`

func TestEveryBadTokenIsUnauthorized(t *testing.T) {
	h := newHarness(t)
	claims := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{"sub": "c1", "roles": []string{"integrator"}, "exp": exp.Unix()}
	}
	sign := func(method jwt.SigningMethod, c jwt.MapClaims, key any) string {
		s, err := jwt.NewWithClaims(method, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	none := sign(jwt.SigningMethodNone, claims(time.Now().Add(time.Hour)), jwt.UnsafeAllowNoneSignatureType)
	tests := []struct {
		name, header string
	}{
		{"no header", ""},
		{"not bearer", "Basic YWxhZGRpbjpvcGVuc2VzYW1l"},
		{"empty bearer", "Bearer "},
		{"malformed", "Bearer not.a.jwt"},
		{"expired", "Bearer " + sign(jwt.SigningMethodHS256, claims(time.Now().Add(-time.Hour)), testKeys.Secret)},
		{"no exp", "Bearer " + sign(jwt.SigningMethodHS256, jwt.MapClaims{"sub": "c1", "roles": []string{"integrator"}}, testKeys.Secret)},
		{"alg none", "Bearer " + none},
		{"wrong key", "Bearer " + sign(jwt.SigningMethodHS256, claims(time.Now().Add(time.Hour)), []byte("another-secret-that-is-long-enough-xx"))},
		{"HS512", "Bearer " + sign(jwt.SigningMethodHS512, claims(time.Now().Add(time.Hour)), testKeys.Secret)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, h.url+facilityPath, nil)
			if tt.header != "" {
				req.Header.Set("Authorization", tt.header)
			}
			expectJSON(t, h.send(req), http.StatusUnauthorized, unauthorized)
		})
	}
}

func TestMissingRoleIsForbidden(t *testing.T) {
	h := newHarness(t)
	publisher := token(t, auth.Principal{ClientID: "pub", Roles: []auth.Role{auth.RolePublisher}})
	for _, path := range []string{facilityPath, userPath} {
		expectJSON(t, h.do(http.MethodGet, path, publisher, nil), http.StatusForbidden, `{"message":"Forbidden Resource","error":"Forbidden","statusCode":403}`)
	}
}

func TestUnknownRoutesAndMethodsAreNotFound(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t)
	notFound := `{"message":"Not Found","error":"Not Found","statusCode":404}`
	expectJSON(t, h.do(http.MethodGet, "/nowhere", "", nil), http.StatusNotFound, notFound)
	expectJSON(t, h.do(http.MethodPut, facilityPath, tok, map[string]any{}), http.StatusNotFound, notFound)
	if r := h.do(http.MethodGet, "/healthcheck/", "", nil); r.status == http.StatusInternalServerError || strings.Contains(r.raw, "panic") {
		t.Errorf("trailing slash: %d %s", r.status, r.raw)
	}
}

func TestTestProcessorsAnswerWithoutAToken(t *testing.T) {
	h := newHarness(t)
	expectJSON(t, h.do(http.MethodPost, "/api/webhook-processors/success-response", "", `{"id":"evt"}`), http.StatusOK, `{"value":true}`)
	expectJSON(t, h.do(http.MethodPost, "/api/webhook-processors/failed-response", "", `{"id":"evt"}`), http.StatusInternalServerError, `{"value":false}`)
}
