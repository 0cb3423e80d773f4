package e2e_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/signing"
)

// Helpers of the ECG activity tests. Subscriptions are webhooks of kind
// organization, created through the store so that a test knows its secret
// and its client (the owner the public logs answer) up front.

// orgSub is an organization subscription with a token of its organization.
type orgSub struct {
	orgID, id, secret, clientID string
	token                       string
}

func newOrgSub(t *testing.T, url string) orgSub {
	t.Helper()
	secret, err := signing.GenerateSecret()
	if err != nil {
		t.Fatal(err)
	}
	id := testenv.RandomID(4)
	w := &hookflow.Webhook{Kind: hookflow.KindOrganization, ClientID: "org-client-" + id, OrganizationID: "org-" + id,
		URL: url, Events: []string{hookflow.AllEvents}, Secrets: []string{secret}}
	if err := testDB.Stores.Webhooks.CreateWebhook(context.Background(), w); err != nil {
		t.Fatal(err)
	}
	tok := token(t, auth.Principal{Subject: "nurse-" + id, ClientID: w.ClientID, OrgID: w.OrganizationID})
	return orgSub{orgID: w.OrganizationID, id: w.ID, secret: secret, clientID: w.ClientID, token: tok}
}

func (o orgSub) base() string {
	return "/api/organizations/" + o.orgID + "/webhook-subscriptions/" + o.id
}

func (o orgSub) hashBase() string {
	return "/api/organizations/" + o.orgID + "/subscriptions/" + o.id
}

// must sends a request and fails unless it answers status.
func (s *stack) must(status int, method, path, tok string, body any) map[string]any {
	s.t.Helper()
	r := s.do(method, path, tok, body)
	if r.status != status {
		s.t.Fatalf("%s %s = %d %s, want %d", method, path, r.status, r.raw, status)
	}
	return r.body
}

// expect asserts the status and the exact JSON body.
func expect(t *testing.T, r response, status int, want string) {
	t.Helper()
	var got, exp any
	if err := json.Unmarshal([]byte(r.raw), &got); err != nil || json.Unmarshal([]byte(want), &exp) != nil {
		t.Fatalf("bodies are not JSON: %s / %s", r.raw, want)
	}
	g, _ := json.Marshal(got)
	e, _ := json.Marshal(exp)
	if r.status != status || string(g) != string(e) {
		t.Errorf("answer = %d %s\nwant %d %s", r.status, g, status, e)
	}
}

func badRequest(messages ...string) string {
	b, _ := json.Marshal(map[string]any{"message": messages, "error": "Bad Request", "statusCode": 400})
	return string(b)
}

func notFound(what string) string {
	return `{"message":"` + what + ` not found","error":"Not Found","statusCode":404}`
}

// independentHash computes the ECG payload hash from scratch: a whsec_
// secret's base64 key, HMAC-SHA256 over "<createdAt>.<payload>", hex.
func independentHash(t *testing.T, secret string, createdAt int64, payload string) string {
	t.Helper()
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		t.Fatal(err)
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte(strconv.FormatInt(createdAt, 10) + "." + payload))
	return hex.EncodeToString(mac.Sum(nil))
}

func children(v map[string]any) []map[string]any {
	var out []map[string]any
	for _, c := range v["childPostHistory"].([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

func items(body map[string]any) []map[string]any {
	var out []map[string]any
	for _, c := range body["data"].([]any) {
		out = append(out, c.(map[string]any))
	}
	return out
}

const forbiddenBody = `{"message":"Forbidden Resource","error":"Forbidden","statusCode":403}`
