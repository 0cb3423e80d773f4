package api_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/signing"
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

const (
	successProcessor = "/api/webhook-processors/success-response"
	failedProcessor  = "/api/webhook-processors/failed-response"
)

func TestTestProcessorsAnswerAnyValidToken(t *testing.T) {
	h := newHarness(t)
	publisher := token(t, auth.Principal{ClientID: "pub", Roles: []auth.Role{auth.RolePublisher}})
	expectJSON(t, h.do(http.MethodPost, successProcessor, publisher, `{"id":"evt"}`), http.StatusOK, `{"value":true}`)
	expectJSON(t, h.do(http.MethodPost, failedProcessor, publisher, `{"id":"evt"}`), http.StatusInternalServerError, `{"value":false}`)
	for _, path := range []string{successProcessor, failedProcessor} {
		expectJSON(t, h.do(http.MethodPost, path, "", `{"id":"evt"}`), http.StatusUnauthorized, unauthorized)
		expectJSON(t, h.do(http.MethodPost, path, "not-a-jwt", `{"id":"evt"}`), http.StatusUnauthorized, unauthorized)
	}
}

// Hookflow's own deliveries carry no token: a receiver admits a request
// signed with a current secret of a webhook that delivers that event to it,
// and nothing else that merely looks signed.
func TestTestProcessorsAdmitHookflowsOwnSignedDelivery(t *testing.T) {
	h := newHarness(t)
	client := "proc-" + testenv.RandomID(6)
	secret, err := signing.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	testenv.NewWebhook(t, testDB.Stores, &hookflow.Webhook{ClientID: client, URL: "https://hookflow.example" + successProcessor, Secrets: []string{secret}})
	ev := &hookflow.Event{ID: "evt-" + testenv.RandomID(8), EventType: "facility.creation.accepted", ClientID: client, Data: json.RawMessage(`{"n":1}`), CreatedAt: time.Now()}
	if ds := testenv.PublishEvent(t, testDB.Stores, ev, "facility"); len(ds) != 1 {
		t.Fatalf("published to %d webhooks, want 1", len(ds))
	}
	body, err := ev.Envelope()
	if err != nil {
		t.Fatal(err)
	}
	// post sends sent with the signature of signed.
	post := func(path, msgID string, ts time.Time, signed, sent []byte, secret string) response {
		t.Helper()
		headers, err := signing.Headers(msgID, ts, signed, []string{secret})
		if err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(http.MethodPost, h.url+path, bytes.NewReader(sent))
		if err != nil {
			t.Fatal(err)
		}
		req.Header = headers
		req.Header.Set("Content-Type", "application/json")
		return h.send(req)
	}
	now := time.Now()
	expectJSON(t, post(successProcessor, ev.ID, now, body, body, secret), http.StatusOK, `{"value":true}`)

	stranger, _ := signing.GenerateSecret()
	for name, r := range map[string]response{
		"another secret":            post(successProcessor, ev.ID, now, body, body, stranger),
		"a tampered body":           post(successProcessor, ev.ID, now, body, []byte(`{"forged":true}`), secret),
		"an event it never got":     post(successProcessor, "evt-unknown", now, body, body, secret),
		"a receiver not its URL":    post(failedProcessor, ev.ID, now, body, body, secret),
		"a replay from an hour ago": post(successProcessor, ev.ID, now.Add(-time.Hour), body, body, secret),
	} {
		if r.status != http.StatusUnauthorized || r.raw != unauthorized {
			t.Errorf("%s: %d %s, want 401 %s", name, r.status, r.raw, unauthorized)
		}
	}
}
