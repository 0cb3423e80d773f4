package api_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/api"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
)

const (
	eventsPath = "/api/v2/events"
	logsPath   = "/api/v2/public/webhooks/logs"
	notFound   = `{"message":"Webhook not found","error":"Not Found","statusCode":404}`
	logMissing = `{"message":"Webhook log not found","error":"Not Found","statusCode":404}`
)

// storedState fingerprints every table a request could write to: any
// insert, update or delete changes it.
func storedState(t *testing.T) string {
	t.Helper()
	var out []string
	for _, table := range []string{"webhooks", "webhook_secrets", "events", "deliveries", "attempts"} {
		var n int
		var sum string
		err := testDB.DB.Pool().QueryRow(context.Background(),
			`SELECT count(*), md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM `+table+` t`).Scan(&n, &sum)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%s=%d/%s", table, n, sum))
	}
	return strings.Join(out, " ")
}

// signClaims signs arbitrary claims with the test key, as a hostile but
// correctly signed token would be.
func signClaims(t *testing.T, claims jwt.MapClaims) string {
	t.Helper()
	claims["exp"] = time.Now().Add(time.Hour).Unix()
	s, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(testKeys.Secret)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func manyStrings(n int, f func(i int) string) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = f(i)
	}
	return out
}

// manyHeaders makes n valid custom headers.
func manyHeaders(n int) map[string]string {
	out := make(map[string]string, n)
	for i := range n {
		out[fmt.Sprintf("X-H%02d", i)] = "v"
	}
	return out
}

func logsQuery(pairs ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(pairs); i += 2 {
		q.Add(pairs[i], pairs[i+1])
	}
	return logsPath + "?" + q.Encode()
}

// TestHostileInputsAreRefusedAndNothingIsStored feeds every hostile input of
// issue 9 and the limits of limits.go: each gets its exact 4xx envelope and
// leaves webhooks, secrets, events, deliveries and attempts as they were.
func TestHostileInputsAreRefusedAndNothingIsStored(t *testing.T) {
	h := newHarness(t, func(_ *api.Deps, o *api.Options) { o.MaxPayloadBytes = 256 << 10 }) // the production default
	tok, clientID := integrator(t, "P-1")
	publisher := token(t, auth.Principal{ClientID: "pub-" + testenv.RandomID(4), Roles: []auth.Role{auth.RolePublisher}})
	hook := createWebhook(t, h, facilityPath, tok, map[string]any{"url": "https://example.com/hook", "events": []string{"shift.created"}})
	hookPath := facilityPath + "/" + hook["id"].(string)
	retryPath := logsPath + "/" + "7d1d7c3e-8a51-4b1e-9f1e-2f4f1c0e5a11" + "/retry"

	long := func(n int) string { return strings.Repeat("x", n) }
	webhook := func(extra map[string]any) map[string]any {
		b := map[string]any{"url": "https://example.com/hook", "events": []string{"shift.created"}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	event := func(extra map[string]any) map[string]any {
		// A facility no webhook lists: even a wrongly accepted event starts no workflow.
		b := map[string]any{"eventType": "shift.created", "facilityId": "nobody", "data": map[string]any{"shiftId": "s-1"}}
		for k, v := range extra {
			b[k] = v
		}
		return b
	}
	catalogSize := strings.Count(facilityEvents, ",") + 1
	validClaims := func(extra jwt.MapClaims) jwt.MapClaims {
		c := jwt.MapClaims{"sub": clientID, "facilities": []string{"P-1"}, "roles": []string{"integrator", "publisher"}}
		for k, v := range extra {
			c[k] = v
		}
		return c
	}
	const (
		nulMessage    = "Request body must not contain NUL characters"
		idChars       = "id must contain only the characters A-Z a-z 0-9 . _ : ~ -"
		keyChars      = "Idempotency-Key must contain only the characters A-Z a-z 0-9 . _ : ~ -"
		facilityChars = "each value in facilitiesIds must be valid UTF-8 without NUL characters"
	)

	tests := []struct {
		name         string
		method, path string
		token        string
		body         any // JSON-encoded unless a string, sent as is
		headers      []string
		status       int
		want         string
	}{
		// Numeric query values: bounded, never reaching PostgreSQL's OFFSET.
		{"offset 1e19", http.MethodGet, logsQuery("offset", "1e19"), tok, nil, nil, 400, badRequest("offset must not be greater than 10000")},
		{"offset max int64", http.MethodGet, logsQuery("offset", "9223372036854775807"), tok, nil, nil, 400, badRequest("offset must not be greater than 10000")},
		{"offset past the cap", http.MethodGet, logsQuery("offset", "10001"), tok, nil, nil, 400, badRequest("offset must not be greater than 10000")},
		{"offset negative", http.MethodGet, logsQuery("offset", "-1"), tok, nil, nil, 400, badRequest("offset must not be less than 0")},
		{"offset min int64", http.MethodGet, logsQuery("offset", "-9223372036854775808"), tok, nil, nil, 400, badRequest("offset must not be less than 0")},
		{"offset NaN", http.MethodGet, logsQuery("offset", "NaN"), tok, nil, nil, 400, badRequest("offset must be a number conforming to the specified constraints")},
		{"limit 1e19", http.MethodGet, logsQuery("limit", "1e19"), tok, nil, nil, 400, badRequest("limit must not be greater than 100")},
		{"limit negative", http.MethodGet, logsQuery("limit", "-9223372036854775808"), tok, nil, nil, 400, badRequest("limit must not be less than 0")},
		// Query strings: UTF-8 without NUL, bounded length and count.
		{"facilitiesIds not UTF-8", http.MethodGet, logsPath + "?facilitiesIds=%FF%FE", tok, nil, nil, 400, badRequest(facilityChars)},
		{"facilitiesIds NUL", http.MethodGet, logsPath + "?facilitiesIds=%00", tok, nil, nil, 400, badRequest(facilityChars)},
		{"facilitiesIds[] NUL", http.MethodGet, logsPath + "?facilitiesIds[]=P-1&facilitiesIds[]=a%00b", tok, nil, nil, 400, badRequest(facilityChars)},
		{"facilitiesIds too long", http.MethodGet, logsQuery("facilitiesIds", long(256)), tok, nil, nil, 400, badRequest("each value in facilitiesIds must be shorter than or equal to 255 characters")},
		{"facilitiesIds too many", http.MethodGet, logsPath + "?" + strings.Repeat("facilitiesIds=P-1&", hookflow.MaxFacilities+1), tok, nil, nil, 400, badRequest("facilitiesIds must contain no more than 1000 elements")},
		{"eventType NUL", http.MethodGet, logsPath + "?eventType=shift.created%00", tok, nil, nil, 400, badRequest("eventType must be one of the following values: " + facilityEvents)},
		{"startDate not UTF-8", http.MethodGet, logsPath + "?startDate=%FF", tok, nil, nil, 400, badRequest("startDate must be RFC 3339 date", "startDate must be a valid ISO 8601 date string")},
		{"sortDirection NUL", http.MethodGet, logsPath + "?sortDirection=ASC%00", tok, nil, nil, 400, badRequest("sortDirection must be one of the following values: ASC, DESC")},

		// Webhook bodies (POST and PATCH share the rules).
		{"url port 99999", http.MethodPost, facilityPath, tok, webhook(map[string]any{"url": "https://example.com:99999/hook"}), nil, 400, badRequest("url must have a port between 1 and 65535")},
		{"url port 0", http.MethodPost, facilityPath, tok, webhook(map[string]any{"url": "https://example.com:0/hook"}), nil, 400, badRequest("url must have a port between 1 and 65535")},
		{"url port 8443", http.MethodPost, facilityPath, tok, webhook(map[string]any{"url": "https://example.com:8443/hook"}), nil, 400, badRequest("url must use port 443 or 80")},
		{"user url port 22", http.MethodPost, userPath, tok, map[string]any{"url": "https://example.com:22/", "events": []string{"all"}}, nil, 400, badRequest("url must use port 443 or 80")},
		{"url of 70,000 characters", http.MethodPost, facilityPath, tok, webhook(map[string]any{"url": "https://example.com/" + long(70000)}), nil, 400, badRequest("url must be shorter than or equal to 2048 characters")},
		{"url without a host name", http.MethodPost, facilityPath, tok, webhook(map[string]any{"url": "https://:443/hook"}), nil, 400, badRequest("should be a secure URL with HTTPS")},
		{"url with NUL", http.MethodPost, facilityPath, tok, `{"url":"https://example.com/\u0000","events":["shift.created"]}`, nil, 400, badRequest(nulMessage)},
		{"10,000 events", http.MethodPost, facilityPath, tok, webhook(map[string]any{"events": manyStrings(10000, func(int) string { return "shift.created" })}), nil, 400, badRequest(fmt.Sprintf("events must contain no more than %d elements", catalogSize))},
		{"facility of 20 KB", http.MethodPost, facilityPath, tok, webhook(map[string]any{"facilities": []string{long(20000)}}), nil, 400, badRequest("each value in facilities must be shorter than or equal to 255 characters")},
		{"facilities too many", http.MethodPost, facilityPath, tok, webhook(map[string]any{"facilities": manyStrings(hookflow.MaxFacilities+1, func(i int) string { return fmt.Sprint("F-", i) })}), nil, 400, badRequest("facilities must contain no more than 1000 elements")},
		{"facility with NUL", http.MethodPost, facilityPath, tok, `{"url":"https://example.com/hook","events":["shift.created"],"facilities":["P-1\u0000"]}`, nil, 400, badRequest(nulMessage)},
		{"key with NUL", http.MethodPost, facilityPath, tok, `{"url":"https://example.com/hook","events":["shift.created"],"u\u0000rl":1}`, nil, 400, badRequest(nulMessage)},
		{"secret of 10 KB", http.MethodPost, userPath, tok, map[string]any{"url": "https://example.com/hook", "events": []string{"all"}, "secrets": []string{long(10000)}}, nil, 400, badRequest("each value in secrets must be a valid secret: base64 of 24 to 64 bytes, optionally prefixed with whsec_")},
		{"body not UTF-8", http.MethodPost, facilityPath, tok, "{\"url\":\"https://example.com/\xff\xfe\",\"events\":[\"shift.created\"]}", nil, 400, badRequest("Request body must be valid UTF-8")},
		{"trailing brace", http.MethodPost, facilityPath, tok, `{"url":"https://example.com/hook","events":["shift.created"]}}`, nil, 400, badRequest("Request body is not valid JSON")},
		{"two JSON values", http.MethodPost, facilityPath, tok, `{"url":"https://example.com/hook","events":["shift.created"]} {}`, nil, 400, badRequest("Request body is not valid JSON")},
		{"trailing garbage", http.MethodPost, userPath, tok, `{"url":"https://example.com/hook","events":["all"]}garbage`, nil, 400, badRequest("Request body is not valid JSON")},
		{"patch url port 99999", http.MethodPatch, hookPath, tok, map[string]any{"url": "https://example.com:99999/hook"}, nil, 400, badRequest("url must have a port between 1 and 65535")},
		{"patch url port 6379", http.MethodPatch, hookPath, tok, map[string]any{"url": "https://example.com:6379/"}, nil, 400, badRequest("url must use port 443 or 80")},
		{"patch 10,000 events", http.MethodPatch, hookPath, tok, map[string]any{"events": manyStrings(10000, func(int) string { return "all" })}, nil, 400, badRequest(fmt.Sprintf("events must contain no more than %d elements", catalogSize))},
		{"patch facility of 20 KB", http.MethodPatch, hookPath, tok, map[string]any{"facilities": []string{long(20000)}}, nil, 400, badRequest("each value in facilities must be shorter than or equal to 255 characters")},
		{"patch trailing brace", http.MethodPatch, hookPath, tok, `{"url":"https://example.com/other"}}`, nil, 400, badRequest("Request body is not valid JSON")},
		{"patch NUL", http.MethodPatch, hookPath, tok, `{"url":"https://example.com/\u0000"}`, nil, 400, badRequest(nulMessage)},
		// Filters: bounded in length, nesting and estimated cost before anything is stored.
		{"filter of 100,000 characters", http.MethodPost, facilityPath, tok, webhook(map[string]any{"filter": `data.s == "` + long(100000) + `"`}), nil, 400, badRequest("filter must be shorter than or equal to 1024 characters")},
		{"filter with a huge list literal", http.MethodPost, facilityPath, tok, webhook(map[string]any{"filter": "size([" + strings.Repeat("1,", 600) + "1]) > 0"}), nil, 400, badRequest("filter must be shorter than or equal to 1024 characters")},
		{"filter nested 200 deep", http.MethodPost, facilityPath, tok, webhook(map[string]any{"filter": strings.Repeat("(", 200) + "true" + strings.Repeat(")", 200)}), nil, 400, badRequest("filter is not a valid expression: ERROR: expression recursion limit exceeded: 32")},
		{"filter with 40 nested lists", http.MethodPost, userPath, tok, map[string]any{"url": "https://example.com/hook", "events": []string{"all"}, "filter": "size(" + strings.Repeat("[", 40) + strings.Repeat("]", 40) + ") == 1"}, nil, 400, badRequest("filter is not a valid expression: ERROR: expression recursion limit exceeded: 32")},
		{"filter with a field chain 40 deep", http.MethodPost, facilityPath, tok, webhook(map[string]any{"filter": "data" + strings.Repeat(".a", 40) + " == 1"}), nil, 400, badRequest("filter is not a valid expression: ERROR: max recursion depth exceeded")},
		{"filter looping inside a loop", http.MethodPost, facilityPath, tok, webhook(map[string]any{"filter": "data.items.all(a, data.items.all(b, a == b))"}), nil, 400, badRequest("filter is not a valid expression: its estimated cost is above 10000000 (a loop inside a loop over the payload?)")},
		{"filter with NUL", http.MethodPost, facilityPath, tok, `{"url":"https://example.com/hook","events":["shift.created"],"filter":"data.a == \"\u0000\""}`, nil, 400, badRequest(nulMessage)},
		{"filter not a bool", http.MethodPost, facilityPath, tok, webhook(map[string]any{"filter": "data.items"}), nil, 400, badRequest("filter is not a valid expression: it must be a bool, not dyn")},
		{"patch filter looping inside a loop", http.MethodPatch, hookPath, tok, map[string]any{"filter": "data.a.exists(x, data.b.exists(y, x == y))"}, nil, 400, badRequest("filter is not a valid expression: its estimated cost is above 10000000 (a loop inside a loop over the payload?)")},
		{"patch filter nested 200 deep", http.MethodPatch, hookPath, tok, map[string]any{"filter": strings.Repeat("[", 200) + strings.Repeat("]", 200) + " == []"}, nil, 400, badRequest("filter is not a valid expression: ERROR: expression recursion limit exceeded: 32")},
		// Custom headers: no header injection, no reserved names in any case, bounded.
		{"header value with CR LF", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"X-Foo": "a\r\nX-Injected: 1"}}), nil, 400, badRequest("headers.X-Foo must not contain CR or LF characters")},
		{"header value with LF", http.MethodPatch, hookPath, tok, map[string]any{"headers": map[string]string{"X-Foo": "a\nb"}}, nil, 400, badRequest("headers.X-Foo must not contain CR or LF characters")},
		{"header name with CR LF", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"X-Foo\r\nX-Injected": "1"}}), nil, 400, badRequest(`headers."X-Foo\\r\\nX-Injected" must not contain CR or LF characters`)},
		{"header value with NUL", http.MethodPost, facilityPath, tok, `{"url":"https://example.com/hook","events":["shift.created"],"headers":{"X-Foo":"a\u0000"}}`, nil, 400, badRequest(nulMessage)},
		{"header value with a tab", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"X-Foo": "a\tb"}}), nil, 400, badRequest("headers.X-Foo must contain only visible ASCII characters and spaces")},
		{"header value not ASCII", http.MethodPost, userPath, tok, map[string]any{"url": "https://example.com/hook", "events": []string{"all"}, "headers": map[string]string{"X-Foo": "café"}}, nil, 400, badRequest("headers.X-Foo must contain only visible ASCII characters and spaces")},
		{"header name with a space", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"X Foo": "1"}}), nil, 400, badRequest(`headers."X Foo" must have a name that is an HTTP token (letters, digits and !#$%&'*+-.^_` + "`" + `|~)`)},
		{"header name empty", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"": "1"}}), nil, 400, badRequest(`headers."" must have a name that is an HTTP token (letters, digits and !#$%&'*+-.^_` + "`" + `|~)`)},
		{"header webhook-id", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"webhook-id": "forged"}}), nil, 400, badRequest("headers.webhook-id is reserved")},
		{"header Webhook-Signature", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"Webhook-Signature": "v1,forged"}}), nil, 400, badRequest("headers.Webhook-Signature is reserved")},
		{"header CONTENT-TYPE", http.MethodPatch, hookPath, tok, map[string]any{"headers": map[string]string{"CONTENT-TYPE": "text/plain"}}, nil, 400, badRequest("headers.CONTENT-TYPE is reserved")},
		{"header Host", http.MethodPost, userPath, tok, map[string]any{"url": "https://example.com/hook", "events": []string{"all"}, "headers": map[string]string{"Host": "internal"}}, nil, 400, badRequest("headers.Host is reserved")},
		{"header Transfer-Encoding", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"Transfer-Encoding": "chunked"}}), nil, 400, badRequest("headers.Transfer-Encoding is reserved")},
		{"header Proxy-Authorization", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"Proxy-Authorization": "Basic x"}}), nil, 400, badRequest("headers.Proxy-Authorization is reserved")},
		{"header user-AGENT", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"user-AGENT": "evil"}}), nil, 400, badRequest("headers.user-AGENT is reserved")},
		{"11 headers", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": manyHeaders(hookflow.MaxCustomHeaders + 1)}), nil, 400, badRequest("headers must contain no more than 10 entries")},
		{"header name of 65", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{long(65): "1"}}), nil, 400, badRequest(`headers."` + long(64) + `…" must have a name shorter than or equal to 64 characters`)},
		{"header value of 1025", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"X-Foo": long(1025)}}), nil, 400, badRequest("headers.X-Foo must be shorter than or equal to 1024 characters")},
		{"header value not a string", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]any{"X-Foo": 1}}), nil, 400, badRequest("headers.X-Foo must be a string")},
		{"headers not an object", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": []string{"X-Foo: 1"}}), nil, 400, badRequest("headers must be an object")},
		{"header twice in two cases", http.MethodPost, facilityPath, tok, webhook(map[string]any{"headers": map[string]string{"X-Foo": "1", "x-foo": "2"}}), nil, 400, badRequest("headers.x-foo repeats headers.X-Foo: header names are case-insensitive")},

		// Path ids: malformed ids are unknown, never a database error.
		{"webhook id NUL", http.MethodGet, facilityPath + "/%00", tok, nil, nil, 404, notFound},
		{"webhook id of 10 KB", http.MethodDelete, facilityPath + "/" + long(10000), tok, nil, nil, 404, notFound},
		{"webhook id not UTF-8", http.MethodPatch, facilityPath + "/%FF%FE", tok, map[string]any{"url": "https://example.com/x"}, nil, 404, notFound},
		{"log id NUL", http.MethodPost, logsPath + "/%00/retry", tok, nil, nil, 404, logMissing},

		// Published events: a 400, never the 503 that says retry.
		{"NUL in data value", http.MethodPost, eventsPath, publisher, `{"eventType":"shift.created","data":{"a":"x\u0000y"}}`, nil, 400, badRequest(nulMessage)},
		{"NUL in a deep key", http.MethodPost, eventsPath, publisher, `{"eventType":"shift.created","data":{"a":[{"b":{"c\u0000":1}}]}}`, nil, 400, badRequest(nulMessage)},
		{"NUL in facilityId", http.MethodPost, eventsPath, publisher, `{"eventType":"shift.created","facilityId":"P-1\u0000","data":{}}`, nil, 400, badRequest(nulMessage)},
		{"NUL in id", http.MethodPost, eventsPath, publisher, `{"id":"evt\u0000","eventType":"shift.created","data":{}}`, nil, 400, badRequest(nulMessage)},
		{"data not UTF-8", http.MethodPost, eventsPath, publisher, "{\"eventType\":\"shift.created\",\"data\":{\"a\":\"\xc3\x28\"}}", nil, 400, badRequest("Request body must be valid UTF-8")},
		{"number past float64", http.MethodPost, eventsPath, publisher, `{"eventType":"shift.created","data":{"n":1e400}}`, nil, 400, badRequest("Request body must not contain numbers outside the range of a 64-bit float")},
		{"number past numeric's scale", http.MethodPost, eventsPath, publisher, `{"eventType":"shift.created","data":{"n":1e-20000}}`, nil, 400, badRequest("Request body must not contain numbers outside the range of a 64-bit float")},
		{"id with CR LF", http.MethodPost, eventsPath, publisher, event(map[string]any{"id": "evt-1\r\nX-Injected: 1"}), nil, 400, badRequest(idChars)},
		{"id with a space", http.MethodPost, eventsPath, publisher, event(map[string]any{"id": "evt 1"}), nil, 400, badRequest(idChars)},
		{"id not ASCII", http.MethodPost, eventsPath, publisher, event(map[string]any{"id": "évènement"}), nil, 400, badRequest(idChars)},
		{"id too long", http.MethodPost, eventsPath, publisher, event(map[string]any{"id": long(256)}), nil, 400, badRequest("id must be shorter than or equal to 255 characters")},
		{"facilityId of 20 KB", http.MethodPost, eventsPath, publisher, event(map[string]any{"facilityId": long(20000)}), nil, 400, badRequest("facilityId must be shorter than or equal to 255 characters")},
		{"clientId of 10 KB", http.MethodPost, eventsPath, publisher, event(map[string]any{"clientId": long(10000)}), nil, 400, badRequest("clientId must be shorter than or equal to 255 characters")},
		{"organizationId of 10 KB", http.MethodPost, eventsPath, publisher, event(map[string]any{"organizationId": long(10000)}), nil, 400, badRequest("organizationId must be shorter than or equal to 255 characters")},
		{"event trailing brace", http.MethodPost, eventsPath, publisher, `{"eventType":"shift.created","data":{}}}`, nil, 400, badRequest("Request body is not valid JSON")},

		// Idempotency-Key: bounded and header-safe, checked before anything.
		{"Idempotency-Key of 1,000", http.MethodPost, retryPath, tok, nil, []string{"Idempotency-Key", long(1000)}, 400, badRequest("Idempotency-Key must be shorter than or equal to 255 characters")},
		{"Idempotency-Key of 10,000", http.MethodPost, retryPath, tok, nil, []string{"Idempotency-Key", long(10000)}, 400, badRequest("Idempotency-Key must be shorter than or equal to 255 characters")},
		{"Idempotency-Key not UTF-8", http.MethodPost, retryPath, tok, nil, []string{"Idempotency-Key", "k\xff\xfe"}, 400, badRequest(keyChars)},
		{"Idempotency-Key with a space", http.MethodPost, retryPath, tok, nil, []string{"Idempotency-Key", "key 1"}, 400, badRequest(keyChars)},

		// Token claims: a signed token past the limits is a 401, never a 500.
		{"sub with NUL", http.MethodPost, facilityPath, signClaims(t, validClaims(jwt.MapClaims{"sub": "c\x00"})), webhook(nil), nil, 401, unauthorized},
		{"client_id of 10 KB", http.MethodPost, facilityPath, signClaims(t, validClaims(jwt.MapClaims{"client_id": long(10000)})), webhook(nil), nil, 401, unauthorized},
		{"client_id with NUL", http.MethodGet, logsPath, signClaims(t, validClaims(jwt.MapClaims{"client_id": "c\x00"})), nil, nil, 401, unauthorized},
		{"org_id of 10 KB", http.MethodPost, eventsPath, signClaims(t, validClaims(jwt.MapClaims{"org_id": long(10000)})), event(nil), nil, 401, unauthorized},
		{"facility claim of 20 KB", http.MethodPost, facilityPath, signClaims(t, validClaims(jwt.MapClaims{"facilities": []string{long(20000)}})), webhook(nil), nil, 401, unauthorized},
		{"facility claim with NUL", http.MethodPost, facilityPath, signClaims(t, validClaims(jwt.MapClaims{"facilities": []string{"P-1\x00"}})), webhook(nil), nil, 401, unauthorized},
		{"too many facility claims", http.MethodPost, facilityPath, signClaims(t, validClaims(jwt.MapClaims{"facilities": manyStrings(hookflow.MaxFacilities+1, func(i int) string { return fmt.Sprint(i) })})), webhook(nil), nil, 401, unauthorized},
		{"too many roles", http.MethodPost, facilityPath, signClaims(t, validClaims(jwt.MapClaims{"roles": manyStrings(hookflow.MaxRoles+1, func(int) string { return "integrator" })})), webhook(nil), nil, 401, unauthorized},
		{"role of 10 KB", http.MethodPost, facilityPath, signClaims(t, validClaims(jwt.MapClaims{"roles": []string{"integrator", long(10000)}})), webhook(nil), nil, 401, unauthorized},
	}
	before := storedState(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fromTestenv(testenv.Do(t, tt.method, h.url+tt.path, tt.token, tt.body, tt.headers...))
			expectJSON(t, r, tt.status, tt.want)
		})
	}
	if after := storedState(t); after != before {
		t.Errorf("hostile inputs changed what is stored:\nbefore %s\nafter  %s", before, after)
	}
	// The fingerprint does see a write: a valid publish stores its event.
	if r := h.do(http.MethodPost, eventsPath, publisher, event(nil)); r.status != http.StatusAccepted {
		t.Fatalf("valid publish: %d %s", r.status, r.raw)
	}
	if storedState(t) == before {
		t.Error("a valid publish left the fingerprint unchanged: it cannot detect a stored input")
	}
}

func TestRepeatedEventsAndFacilitiesAreStoredOnce(t *testing.T) {
	h := newHarness(t)
	tok, _ := integrator(t, "P-1", "P-2")
	created := createWebhook(t, h, facilityPath, tok, map[string]any{
		"url":        "https://example.com/hook",
		"events":     []string{"shift.created", "all", "shift.created"},
		"facilities": []string{"P-2", "P-1", "P-2"},
	})
	if got := strs(created["events"]); strings.Join(got, ",") != "shift.created,all" {
		t.Errorf("events = %v, want [shift.created all]", got)
	}
	if got := strs(created["facilities"]); strings.Join(got, ",") != "P-2,P-1" {
		t.Errorf("facilities = %v, want [P-2 P-1]", got)
	}
	r := h.do(http.MethodPatch, facilityPath+"/"+created["id"].(string), tok, map[string]any{"events": []string{"all", "all"}})
	if r.status != http.StatusCreated {
		t.Fatalf("patch: %d %s", r.status, r.raw)
	}
	if got := strs(r.data(t)["events"]); strings.Join(got, ",") != "all" {
		t.Errorf("patched events = %v, want [all]", got)
	}
}

func TestValuesAtTheLimitsAreAccepted(t *testing.T) {
	h := newHarness(t, func(_ *api.Deps, o *api.Options) {
		o.MaxPayloadBytes = 256 << 10
		o.TargetPorts.Extra = []int{65535} // the highest port, once an operator allows it
	})
	longID := strings.Repeat("f", hookflow.MaxIDLength)
	tok, _ := integrator(t, longID)
	created := createWebhook(t, h, facilityPath, tok, map[string]any{
		"url":        "https://example.com:65535/" + strings.Repeat("p", hookflow.MaxURLLength-len("https://example.com:65535/")),
		"events":     strings.Split(strings.ReplaceAll(facilityEvents, " ", ""), ","),
		"facilities": []string{longID},
	})
	if len(created["url"].(string)) != hookflow.MaxURLLength {
		t.Errorf("url of %d characters stored as %d", hookflow.MaxURLLength, len(created["url"].(string)))
	}
	if r := h.do(http.MethodGet, logsQuery("offset", "10000", "limit", "100", "facilitiesIds", longID), tok, nil); r.status != http.StatusCreated {
		t.Errorf("log search at the limits: %d %s", r.status, r.raw)
	}
	publisher := token(t, auth.Principal{ClientID: "pub", Roles: []auth.Role{auth.RolePublisher}})
	prefix := "evt:" + testenv.RandomID(4) + "._~-"
	id := prefix + strings.Repeat("9", hookflow.MaxIDLength-len(prefix))
	unmatched := strings.Repeat("g", hookflow.MaxIDLength) // no webhook lists it: no workflow starts
	r := h.do(http.MethodPost, eventsPath, publisher, map[string]any{
		"id": id, "eventType": "shift.created", "facilityId": unmatched, "clientId": unmatched, "organizationId": unmatched,
		"data": map[string]any{"n": 1.7e308, "tiny": 0.0, "deep": map[string]any{"é": "ü"}},
	})
	if r.status != http.StatusAccepted || r.data(t)["eventId"] != id {
		t.Fatalf("publish at the limits: %d %s", r.status, r.raw)
	}
}

// incompressible returns n hex characters of random bytes: PostgreSQL
// compresses index entries, so repeated characters would fit.
func incompressible(t *testing.T, n int) string {
	b := make([]byte, n/2)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}

// TestStoreRefusesUnstorableValuesAsInvalid covers the safety net behind
// the limits: a value PostgreSQL refuses as data is EINVALID (a 400), not
// an internal error, and the transaction leaves nothing behind.
func TestStoreRefusesUnstorableValuesAsInvalid(t *testing.T) {
	ctx := context.Background()
	before := storedState(t)
	hook := func(mutate func(w *hookflow.Webhook)) *hookflow.Webhook {
		w := &hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: "c-" + testenv.RandomID(4), URL: "https://example.com/hook",
			Events: []string{hookflow.AllEvents}, Facilities: []string{"P-1"}, Secrets: []string{"whsec_" + seedSecretA}}
		mutate(w)
		return w
	}
	for name, w := range map[string]*hookflow.Webhook{
		"NUL in a facility":         hook(func(w *hookflow.Webhook) { w.Facilities = []string{"P\x00"} }),
		"bytes that are not UTF-8":  hook(func(w *hookflow.Webhook) { w.URL = "https://example.com/\xff" }),
		"index entry too large":     hook(func(w *hookflow.Webhook) { w.ClientID = incompressible(t, 16000) }),
		"NUL in a secret (2nd row)": hook(func(w *hookflow.Webhook) { w.Secrets = []string{"whsec_" + seedSecretA, "x\x00"} }),
	} {
		if err := testDB.Stores.Webhooks.CreateWebhook(ctx, w); hookflow.ErrorCodeOf(err) != hookflow.EINVALID {
			t.Errorf("%s: CreateWebhook = %v, want EINVALID", name, err)
		}
	}
	ev := &hookflow.Event{ID: "evt-" + testenv.RandomID(4), EventType: "shift.created", FacilityID: "P-1", Data: []byte(`{"a":"\u0000"}`)}
	if _, _, err := testDB.Stores.Events.PublishEvent(ctx, ev, "shift"); hookflow.ErrorCodeOf(err) != hookflow.EINVALID {
		t.Errorf("PublishEvent with a NUL in data = %v, want EINVALID", err)
	}
	if after := storedState(t); after != before {
		t.Errorf("refused writes left rows behind:\nbefore %s\nafter  %s", before, after)
	}
}
