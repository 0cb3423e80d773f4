package api_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/hookflow/hookflow/api"
)

func withOverlap(d time.Duration) func(*api.Deps, *api.Options) {
	return func(_ *api.Deps, o *api.Options) { o.SecretRotationOverlap = d }
}

// handSetSecret is seed 003's sample secret, lengthened to the 24
// characters a secret set by hand needs.
const handSetSecret = "ecg-secret-key-set-by-hand"

func TestRotatingASubscriptionSecretKeepsTheOldOneInTheHistory(t *testing.T) {
	h := newHarness(t, withOverlap(time.Hour))
	org := newOrg()
	tok := orgToken(t, org)
	sub := newSubscription(t, h, tok, org, "all")
	secrets := subscriptionURL(org, sub) + "/secrets"
	histories := subscriptionURL(org, sub) + "/webhook-secret-histories"
	first := sub["secretKey"].(string)

	expectJSON(t, h.do(http.MethodGet, secrets, tok, nil), http.StatusOK, `{"secretKey":"`+first+`"}`)
	beforeRotation := time.Now().UTC().Format(time.RFC3339Nano)
	expectJSON(t, h.do(http.MethodPut, secrets, tok, nil), http.StatusOK, valueTrue)
	second := mustStatus(t, h.do(http.MethodGet, secrets, tok, nil), http.StatusOK)["secretKey"].(string)
	if second == first || !strings.HasPrefix(second, "whsec_") {
		t.Fatalf("rotated secret %q (was %q)", second, first)
	}
	if got := mustStatus(t, h.do(http.MethodGet, subscriptionURL(org, sub), tok, nil), http.StatusOK)["secretKey"]; got != second {
		t.Errorf("subscription shows %v, want the new secret", got)
	}
	expectJSON(t, h.do(http.MethodGet, secrets+"?createdAt="+url.QueryEscape(beforeRotation), tok, nil), http.StatusOK, `{"secretKey":"`+first+`"}`)
	expectJSON(t, h.do(http.MethodGet, secrets+"?createdAt=2001-01-01T00:00:00Z", tok, nil), http.StatusNotFound, notFoundOf("Webhook secret"))
	expectJSON(t, h.do(http.MethodGet, secrets+"?createdAt=yesterday&x=1", tok, nil), http.StatusBadRequest,
		invalid("createdAt must be RFC 3339 date", "property x should not exist"))

	added := mustStatus(t, h.do(http.MethodPost, histories, tok, map[string]any{"secretKey": handSetSecret}), http.StatusCreated)
	if added["secretKey"] != handSetSecret || added["expiresAt"] != nil || added["id"] == nil || added["createdAt"] == nil {
		t.Errorf("history entry %v", added)
	}
	expectJSON(t, h.do(http.MethodGet, secrets, tok, nil), http.StatusOK, `{"secretKey":"`+handSetSecret+`"}`)

	list := mustStatus(t, h.do(http.MethodGet, histories+"?order_by=ASC", tok, nil), http.StatusOK)
	entries := list["data"].([]any)
	if list["total"] != float64(3) || len(entries) != 3 {
		t.Fatalf("history %v", list)
	}
	var keys []string
	for i, e := range entries {
		e := e.(map[string]any)
		keys = append(keys, e["secretKey"].(string))
		if _, has := e["subscription"]; has {
			t.Errorf("entry %d has a subscription without include", i)
		}
		if expires, _ := e["expiresAt"].(string); i < 2 {
			created, _ := time.Parse(time.RFC3339Nano, e["createdAt"].(string))
			at, err := time.Parse(time.RFC3339Nano, expires)
			if err != nil || at.Before(created.Add(59*time.Minute)) {
				t.Errorf("entry %d expires %q, want an hour after its rotation", i, expires)
			}
		} else if e["expiresAt"] != nil {
			t.Errorf("the current secret expires: %v", e)
		}
	}
	if strings.Join(keys, ",") != strings.Join([]string{first, second, handSetSecret}, ",") {
		t.Errorf("history keys %v", keys)
	}
	included := mustStatus(t, h.do(http.MethodGet, histories+"?order_by=DESC&take=1&include=subscription", tok, nil), http.StatusOK)
	entry := included["data"].([]any)[0].(map[string]any)
	if entry["secretKey"] != handSetSecret || entry["subscription"].(map[string]any)["id"] != sub["id"] {
		t.Errorf("newest entry with its subscription: %v", entry)
	}
	// The entries show the secrets; the subscription they include does not repeat one.
	if key, has := entry["subscription"].(map[string]any)["secretKey"]; has {
		t.Errorf("the included subscription shows its secret %v", key)
	}
	expectJSON(t, h.do(http.MethodGet, histories+"?include=organization&take=0", tok, nil), http.StatusBadRequest,
		invalid("take must not be less than 1", "include must be one of the following values: subscription"))
}

func TestAddingASecretByHandChecksItsLength(t *testing.T) {
	h := newHarness(t)
	org := newOrg()
	tok := orgToken(t, org)
	sub := newSubscription(t, h, tok, org, "all")
	histories := subscriptionURL(org, sub) + "/webhook-secret-histories"
	tests := []struct {
		name string
		body any
		want []string
	}{
		{"missing", map[string]any{}, []string{"secretKey should not be empty", "secretKey must be a string"}},
		{"short", map[string]any{"secretKey": strings.Repeat("k", 23)}, []string{"secretKey must be longer than or equal to 24 characters"}},
		{"seed 003's sample, too short", map[string]any{"secretKey": "ecg-secret-key"}, []string{"secretKey must be longer than or equal to 24 characters"}},
		{"long", map[string]any{"secretKey": strings.Repeat("k", 257)}, []string{"secretKey must be shorter than or equal to 256 characters"}},
		{"not a string", map[string]any{"secretKey": 12345678}, []string{"secretKey must be a string"}},
		{"whsec_ but not base64", map[string]any{"secretKey": "whsec_not-base64-though-long-enough!!"}, []string{"secretKey must be base64 of 24 to 64 bytes after its whsec_ prefix"}},
		{"unknown property", map[string]any{"secretKey": handSetSecret, "expiresAt": "x"}, []string{"property expiresAt should not exist"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			expectJSON(t, h.do(http.MethodPost, histories, tok, tt.body), http.StatusBadRequest, invalid(tt.want...))
		})
	}
	expectJSON(t, h.do(http.MethodGet, subscriptionURL(org, sub)+"/secrets", tok, nil), http.StatusOK, `{"secretKey":"`+sub["secretKey"].(string)+`"}`)
	// Exactly 24 and 256 characters, and a whsec_ key, are taken.
	for _, key := range []string{strings.Repeat("k", 24), strings.Repeat("é", 256), "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"} {
		mustStatus(t, h.do(http.MethodPost, histories, tok, map[string]any{"secretKey": key}), http.StatusCreated)
	}
}
