package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hookflow/hookflow/auth"
)

func TestADeliveryThatFailsThenSucceedsShowsItsTreeInBothModes(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{300 * time.Millisecond, time.Hour}})
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusOK)
	sub := newOrgSub(t, rcv.URL)

	added := s.must(http.StatusCreated, http.MethodPost, sub.base()+"/activity", sub.token, map[string]any{
		"type": 2, "payload": map[string]any{"vitals": 100}, "rawMessage": map[string]any{"source": "station-4"}, "eventId": "shift.created"})
	first := added["id"].(string)
	if added["type"] != float64(2) || added["event"].(map[string]any)["code"] != "shift.created" || added["subscription"].(map[string]any)["id"] != sub.id {
		t.Errorf("added activity = %v", added)
	}
	eventually(t, 15*time.Second, "the retry to succeed", func() bool {
		return s.must(http.StatusOK, http.MethodGet, sub.base()+"/activations/"+first, sub.token, nil)["success"] == true
	})
	if rcv.count() != 2 {
		t.Fatalf("receiver got %d posts, want 2", rcv.count())
	}

	nested := s.must(http.StatusOK, http.MethodGet, sub.base()+"/activity/"+first+"?mode=nested", sub.token, nil)
	if nested["id"] != first || nested["level"] != float64(1) || nested["type"] != float64(2) || nested["success"] != false ||
		nested["httpStatusCode"] != float64(500) || nested["retryingFromPostId"] != nil {
		t.Errorf("root = %v", nested)
	}
	kids := children(nested)
	if len(kids) != 1 {
		t.Fatalf("nested children = %v, want the one retry", kids)
	}
	retry := kids[0]
	if retry["level"] != float64(2) || retry["type"] != float64(0) || retry["success"] != true || retry["httpStatusCode"] != float64(200) ||
		retry["retryingFromPostId"] != first || len(children(retry)) != 0 || retry["rawResponse"] != `{"received":true}` {
		t.Errorf("retry = %v", retry)
	}
	// Each post shows the exact body and the headers it sent.
	for i, post := range []map[string]any{nested, retry} {
		got := rcv.request(i)
		headers, _ := post["rawMessage"].(map[string]any)
		if post["payload"] != string(got.body) || headers["webhook-signature"] != got.headers.Get("webhook-signature") ||
			headers["webhook-timestamp"] != got.headers.Get("webhook-timestamp") {
			t.Errorf("post %d shows payload %v headers %v; the receiver got %s with %v", i, post["payload"], headers, got.body, got.headers)
		}
	}

	flat := s.must(http.StatusOK, http.MethodGet, sub.base()+"/activity/"+first+"?mode=flat", sub.token, nil)
	if fk := children(flat); len(fk) != 1 || fk[0]["id"] != retry["id"] || len(children(fk[0])) != 0 || fk[0]["level"] != float64(2) {
		t.Errorf("flat children = %v", fk)
	}

	activations := s.must(http.StatusOK, http.MethodGet, sub.base()+"/activations", sub.token, nil)
	if acts := items(activations); activations["total"] != float64(1) || acts[0]["id"] != first || acts[0]["success"] != true ||
		acts[0]["httpStatusCode"] != float64(200) || acts[0]["nextRetryAt"] != nil {
		t.Errorf("activations = %v", activations)
	}
	for query, want := range map[string]int{"": 2, "?status=failed": 1, "?status=succeeded": 1, "?eventId=shift.created": 2, "?eventId=facility.creation.accepted": 0} {
		if got := s.must(http.StatusOK, http.MethodGet, sub.base()+"/activity"+query, sub.token, nil)["total"]; got != float64(want) {
			t.Errorf("activity%s total = %v, want %d", query, got, want)
		}
	}
	bare := items(s.must(http.StatusOK, http.MethodGet, sub.base()+"/activity", sub.token, nil))[0]
	full := items(s.must(http.StatusOK, http.MethodGet, sub.base()+"/activity?include=subscription&include=event", sub.token, nil))[0]
	if bare["subscription"] != nil || bare["event"] != nil || full["subscription"] == nil || full["event"] == nil {
		t.Errorf("include: without %v / %v, with %v / %v", bare["subscription"], bare["event"], full["subscription"], full["event"])
	}

	// get-hash: the exact body of the post, at its webhook-timestamp.
	h := s.must(http.StatusOK, http.MethodGet, sub.hashBase()+"/activity/"+retry["id"].(string)+"/get-hash", sub.token, nil)
	ts, _ := strconv.ParseInt(rcv.request(1).headers.Get("webhook-timestamp"), 10, 64)
	if h["payload"] != string(rcv.request(1).body) || h["createdAt"] != float64(ts) || h["hash"] != independentHash(t, sub.secret, ts, string(rcv.request(1).body)) {
		t.Errorf("get-hash = %v", h)
	}

	// The public log of the same delivery, with every attempt in order.
	owner := token(t, auth.Principal{ClientID: sub.clientID, Roles: []auth.Role{auth.RoleIntegrator}})
	support := token(t, auth.Principal{ClientID: "desk", Roles: []auth.Role{auth.RoleSupport}})
	for _, tok := range []string{owner, support} {
		log := s.must(http.StatusOK, http.MethodGet, "/api/v2/public/webhooks/logs/"+first, tok, nil)["data"].(map[string]any)
		history := log["history"].([]any)
		if log["status"] != "success" || len(history) != 2 {
			t.Fatalf("log = %v", log)
		}
		a1, a2 := history[0].(map[string]any), history[1].(map[string]any)
		if a1["responseStatus"] != float64(500) || a1["error"] != "receiver answered 500" || a1["retryAttempt"] != float64(0) ||
			a2["responseStatus"] != float64(200) || a2["responseBody"] != `{"received":true}` || a2["retryingFromPostId"] != a1["id"] {
			t.Errorf("history = %v", history)
		}
	}
	stranger := token(t, auth.Principal{ClientID: "someone-else", Roles: []auth.Role{auth.RoleIntegrator}})
	expect(t, s.do(http.MethodGet, "/api/v2/public/webhooks/logs/"+first, stranger, nil), http.StatusNotFound, notFound("Webhook log"))
	expect(t, s.do(http.MethodGet, "/api/v2/public/webhooks/logs/not-a-uuid", support, nil), http.StatusNotFound, notFound("Webhook log"))
}

func TestASuccessfulOutcomeSettlesTheDeliveryAndEndsItsRetries(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour}})
	rcv := newReceiver(t, http.StatusAccepted+300) // 502 until the receiver acks later
	sub := newOrgSub(t, rcv.URL)
	first := s.must(http.StatusCreated, http.MethodPost, sub.base()+"/activity", sub.token, map[string]any{
		"type": 2, "payload": map[string]any{"reading": 7}, "rawMessage": map[string]any{}, "eventId": "shift.created"})["id"].(string)
	eventually(t, 10*time.Second, "the first post to fail and wait", func() bool {
		return s.must(http.StatusOK, http.MethodGet, sub.base()+"/activations/"+first, sub.token, nil)["nextRetryAt"] != nil
	})

	outcome := s.must(http.StatusCreated, http.MethodPost, sub.base()+"/activity/"+first+"/outcomes", sub.token, map[string]any{
		"originalActivityId": first, "success": "true", "httpStatusCode": "200", "error": "", "rawResponse": map[string]any{"ack": true}})
	if outcome["type"] != float64(3) || outcome["retryingFromPostId"] != first || outcome["success"] != true ||
		outcome["httpStatusCode"] != float64(200) || outcome["payload"] != nil {
		t.Errorf("outcome = %v", outcome)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := testTemporal.GetWorkflow(ctx, "delivery-"+first, "").Get(ctx, nil); err != nil {
		t.Fatalf("the delivery's workflow did not end after the outcome: %v", err)
	}
	activation := s.must(http.StatusOK, http.MethodGet, sub.base()+"/activations/"+first, sub.token, nil)
	if activation["success"] != true || activation["nextRetryAt"] != nil {
		t.Errorf("activation after the outcome = %v", activation)
	}
	if rcv.count() != 1 {
		t.Errorf("receiver got %d posts, want the one before the outcome", rcv.count())
	}
	tree := s.must(http.StatusOK, http.MethodGet, sub.base()+"/activity/"+first+"?mode=nested", sub.token, nil)
	if kids := children(tree); len(kids) != 1 || kids[0]["id"] != outcome["id"] || kids[0]["level"] != float64(2) {
		t.Errorf("tree children = %v", kids)
	}
	if got := s.must(http.StatusOK, http.MethodGet, sub.base()+"/activations?status=succeeded", sub.token, nil)["total"]; got != float64(1) {
		t.Errorf("succeeded activations = %v, want 1", got)
	}
}

func TestAPostScheduledForLaterWaitsForItsTime(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t, http.StatusOK)
	sub := newOrgSub(t, rcv.URL)
	due := time.Now().Add(2 * time.Second).UTC()
	added := s.must(http.StatusCreated, http.MethodPost, sub.base()+"/activity", sub.token, map[string]any{
		"type": 2, "payload": map[string]any{"later": true}, "rawMessage": map[string]any{"note": "scheduled"}, "eventId": "shift.created",
		"postedAt": due.Format(time.RFC3339Nano)})
	if added["postedAt"] != nil || added["nextRetryAt"] == nil || added["rawMessage"].(map[string]any)["note"] != "scheduled" {
		t.Errorf("scheduled activity = %v", added)
	}
	if rcv.count() != 0 {
		t.Fatal("posted before its time")
	}
	// The wait is a named timer of the delivery's workflow: what the Temporal UI shows.
	eventually(t, 5*time.Second, "the scheduled-post timer", func() bool {
		return timerSummaries(t, "delivery-"+added["id"].(string))["scheduled post at "+due.Format(time.RFC3339)]
	})
	// Posting it by hand before its time is refused: nothing was posted.
	expect(t, s.do(http.MethodPost, sub.base()+"/activity/"+added["id"].(string)+"/retry", sub.token, nil), http.StatusConflict,
		`{"message":"Webhook activity has not been posted yet","error":"Conflict","statusCode":409}`)
	var posted map[string]any
	eventually(t, 15*time.Second, "the scheduled post to be made and recorded", func() bool {
		posted = s.must(http.StatusOK, http.MethodGet, sub.base()+"/activity/"+added["id"].(string)+"?mode=flat", sub.token, nil)
		return posted["postedAt"] != nil
	})
	if rcv.count() != 1 {
		t.Fatalf("receiver got %d posts, want 1", rcv.count())
	}
	if at := rcv.request(0).at; at.Before(due) {
		t.Errorf("posted at %v, before its time %v", at, due)
	}
	if posted["id"] != added["id"] || posted["success"] != true || posted["payload"] != string(rcv.request(0).body) {
		t.Errorf("activity after its post = %v", posted)
	}
}

func TestPayloadHashesMatchAnIndependentComputation(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t, http.StatusOK)
	sub := newOrgSub(t, rcv.URL)

	preview := s.must(http.StatusCreated, http.MethodPost, sub.hashBase()+"/webhooks-payloads?mode=preview", sub.token,
		map[string]any{"eventType": "shift.created", "version": "v1", "data": map[string]any{"vitals": 100}})
	createdAt := int64(preview["createdAt"].(float64))
	if preview["activity"] != nil || preview["hash"] != independentHash(t, sub.secret, createdAt, preview["payload"].(string)) {
		t.Errorf("preview = %v", preview)
	}
	if got := s.must(http.StatusOK, http.MethodGet, sub.base()+"/activity", sub.token, nil)["total"]; got != float64(0) {
		t.Errorf("a preview recorded %v activities", got)
	}
	valid := s.must(http.StatusOK, http.MethodPost, sub.hashBase()+"/validate-hash", sub.token,
		map[string]any{"payload": preview["payload"], "hash": preview["hash"], "createdAt": createdAt})
	wrong := s.must(http.StatusOK, http.MethodPost, sub.hashBase()+"/validate-hash", sub.token,
		map[string]any{"payload": preview["payload"], "hash": preview["hash"], "createdAt": createdAt + 1})
	if valid["value"] != true || wrong["value"] != false {
		t.Errorf("validate-hash = %v / %v, want true / false", valid, wrong)
	}
	// An object payload is hashed as its compact JSON.
	obj := s.must(http.StatusOK, http.MethodPost, sub.hashBase()+"/validate-hash", sub.token,
		map[string]any{"payload": map[string]any{"vitals": 100}, "hash": independentHash(t, sub.secret, 12345, `{"vitals":100}`), "createdAt": 12345})
	if obj["value"] != true {
		t.Errorf("object payload = %v, want true", obj)
	}

	sent := s.must(http.StatusCreated, http.MethodPost, sub.hashBase()+"/webhooks-payloads?mode=send", sub.token,
		map[string]any{"eventType": "shift.created", "version": "v1", "data": map[string]any{"b": 1, "a": 2}})
	activity, _ := sent["activity"].(map[string]any)
	if activity == nil || activity["type"] != float64(2) || sent["hash"] != independentHash(t, sub.secret, int64(sent["createdAt"].(float64)), sent["payload"].(string)) {
		t.Fatalf("send = %v", sent)
	}
	eventually(t, 10*time.Second, "the sent payload", func() bool { return rcv.count() == 1 })
	if string(rcv.request(0).body) != sent["payload"] {
		t.Errorf("receiver got %s, the answer said %v", rcv.request(0).body, sent["payload"])
	}
}

func TestActivityIsScopedToTheOrganization(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t, http.StatusOK)
	a, b := newOrgSub(t, rcv.URL), newOrgSub(t, rcv.URL)
	posted := s.must(http.StatusCreated, http.MethodPost, a.base()+"/activity", a.token, map[string]any{
		"type": 2, "payload": map[string]any{}, "rawMessage": map[string]any{}, "eventId": "shift.created"})["id"].(string)

	// Another organization's token on A's paths: 403, whatever the id.
	expect(t, s.do(http.MethodGet, a.base()+"/activity", b.token, nil), http.StatusForbidden, forbiddenBody)
	expect(t, s.do(http.MethodPost, a.hashBase()+"/validate-hash", b.token, map[string]any{}), http.StatusForbidden, forbiddenBody)
	noOrg := token(t, auth.Principal{ClientID: "c", Roles: []auth.Role{auth.RoleSupport}})
	expect(t, s.do(http.MethodGet, a.base()+"/activations", noOrg, nil), http.StatusForbidden, forbiddenBody)
	// A's subscription under B's organization, and A's activity under B's subscription: 404.
	bPathA := "/api/organizations/" + b.orgID + "/webhook-subscriptions/" + a.id
	expect(t, s.do(http.MethodGet, bPathA+"/activity", b.token, nil), http.StatusNotFound, notFound("Webhook subscription"))
	expect(t, s.do(http.MethodGet, b.base()+"/activity/"+posted+"?mode=flat", b.token, nil), http.StatusNotFound, notFound("Webhook activity"))
	expect(t, s.do(http.MethodGet, b.base()+"/activations/"+posted, b.token, nil), http.StatusNotFound, notFound("Webhook activation"))
	expect(t, s.do(http.MethodGet, b.hashBase()+"/activity/"+posted+"/get-hash", b.token, nil), http.StatusNotFound, notFound("Webhook activity"))
	// Ids that are not UUIDs are 404s.
	expect(t, s.do(http.MethodGet, "/api/organizations/"+a.orgID+"/webhook-subscriptions/nope/activity", a.token, nil), http.StatusNotFound, notFound("Webhook subscription"))
	expect(t, s.do(http.MethodGet, a.base()+"/activity/nope?mode=nested", a.token, nil), http.StatusNotFound, notFound("Webhook activity"))
	expect(t, s.do(http.MethodGet, a.base()+"/activations/nope", a.token, nil), http.StatusNotFound, notFound("Webhook activation"))
	expect(t, s.do(http.MethodPost, a.base()+"/activity/nope/retry", a.token, nil), http.StatusNotFound, notFound("Webhook activity"))
	// Admin reads any organization.
	admin := token(t, auth.Principal{Subject: "ops", ClientID: "ops", Roles: []auth.Role{auth.RoleAdmin}})
	if got := s.must(http.StatusOK, http.MethodGet, a.base()+"/activity", admin, nil)["total"]; got != float64(1) {
		t.Errorf("admin sees %v activities, want 1", got)
	}
}

func TestActivityBadInputGetsTheSeedsMessages(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	sub := newOrgSub(t, "http://127.0.0.1:1/unused")
	activity := sub.base() + "/activity"
	cases := []struct {
		method, path string
		body         any
		want         []string
	}{
		{http.MethodGet, activity + "?status=some&order_by=up&take=0&include=payload", nil, []string{
			"order_by must be one of the following values: ASC, DESC", "take must not be less than 1",
			"status must be one of the following values: all, succeeded, failed",
			"each value in include must be one of the following values: subscription, event"}},
		{http.MethodGet, sub.base() + "/activations?skip=-1", nil, []string{"skip must not be less than 0"}},
		{http.MethodGet, activity + "/" + sub.id + "?mode=deep", nil, []string{"mode must be one of the following values: flat, nested"}},
		{http.MethodPost, activity, map[string]any{"type": 9, "payload": "x", "retryingFromPostId": "abc", "postedAt": "tomorrow", "extra": 1}, []string{
			"type must not be greater than 3", "payload must be an object", "rawMessage should not be empty", "rawMessage must be an object",
			"eventId should not be empty", "eventId must be a string", "postedAt must be RFC 3339 date", "property extra should not exist",
			"retryingFromPostId must be a UUID"}},
		{http.MethodPost, activity, map[string]any{"type": 2, "payload": map[string]any{}, "rawMessage": map[string]any{}, "eventId": "shift.created",
			"postedAt": time.Now().Add(8 * 24 * time.Hour).Format(time.RFC3339)}, []string{"postedAt must not be more than 7 days ahead"}},
		{http.MethodPost, activity + "/" + sub.id + "/outcomes", map[string]any{"originalActivityId": "x", "success": "maybe", "httpStatusCode": 42}, []string{
			"success must be a boolean value", "httpStatusCode must not be less than 100", "error must be a string",
			"rawResponse should not be empty", "originalActivityId must be a UUID"}},
		{http.MethodPost, sub.hashBase() + "/webhooks-payloads", map[string]any{}, []string{
			"mode should not be empty", "mode must be one of the following values: preview, send"}},
		{http.MethodPost, sub.hashBase() + "/webhooks-payloads?mode=send", map[string]any{"eventType": "no.such", "version": "v3"}, nil},
		{http.MethodPost, sub.hashBase() + "/validate-hash", map[string]any{"hash": 1, "createdAt": "soon"}, []string{
			"payload should not be empty", "hash must be a string",
			"createdAt must be a number conforming to the specified constraints", "createdAt must be an integer number"}},
	}
	for _, c := range cases {
		r := s.do(c.method, c.path, sub.token, c.body)
		if c.want == nil { // the event list is long: check the shape
			if r.status != http.StatusBadRequest || len(r.body["message"].([]any)) != 3 {
				t.Errorf("%s %s = %d %s", c.method, c.path, r.status, r.raw)
			}
			continue
		}
		expect(t, r, http.StatusBadRequest, badRequest(c.want...))
	}
	expect(t, s.do(http.MethodPost, activity, sub.token, map[string]any{"type": 2, "payload": map[string]any{}, "rawMessage": map[string]any{}, "eventId": "no.such.event"}),
		http.StatusNotFound, notFound("Webhook event"))
	if got := s.must(http.StatusOK, http.MethodGet, activity, sub.token, nil)["total"]; got != float64(0) {
		t.Errorf("bad input stored %v activities", got)
	}
}

func TestRetryingAnActivityAfterItsDeliveryEndedPostsALinkedManualRetry(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard}) // no retries: one post, then failed
	rcv := newReceiver(t, http.StatusServiceUnavailable)
	sub := newOrgSub(t, rcv.URL)
	first := s.must(http.StatusCreated, http.MethodPost, sub.base()+"/activity", sub.token, map[string]any{
		"type": 2, "payload": map[string]any{"n": 1}, "rawMessage": map[string]any{}, "eventId": "shift.created"})["id"].(string)
	eventually(t, 10*time.Second, "the delivery to fail", func() bool {
		return s.must(http.StatusOK, http.MethodGet, sub.base()+"/activity?status=failed", sub.token, nil)["total"] == float64(1)
	})
	rcv.setStatuses(http.StatusOK)

	r := s.do(http.MethodPost, sub.base()+"/activity/"+first+"/retry", sub.token, nil, "Idempotency-Key", "desk-7")
	if r.status != http.StatusCreated {
		t.Fatalf("retry = %d %s", r.status, r.raw)
	}
	if r.body["type"] != float64(1) || r.body["success"] != true || r.body["retryingFromPostId"] != first || r.body["payload"] != string(rcv.request(1).body) {
		t.Errorf("retry = %v", r.body)
	}
	again := s.do(http.MethodPost, sub.base()+"/activity/"+first+"/retry", sub.token, nil, "Idempotency-Key", "desk-7")
	if again.status != http.StatusCreated || again.body["id"] != r.body["id"] || rcv.count() != 2 {
		t.Errorf("repeated retry = %d %v after %d posts, want the same post and no new one", again.status, again.body["id"], rcv.count())
	}
	activation := s.must(http.StatusOK, http.MethodGet, sub.base()+"/activations/"+first, sub.token, nil)
	if activation["success"] != true || activation["httpStatusCode"] != float64(200) {
		t.Errorf("activation = %v", activation)
	}
}

func TestRetryingAnActivityDuringItsBackoffPostsAtOnceThroughTheWorkflow(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour}})
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusOK)
	sub := newOrgSub(t, rcv.URL)
	first := s.must(http.StatusCreated, http.MethodPost, sub.base()+"/activity", sub.token, map[string]any{
		"type": 2, "payload": map[string]any{"n": 1}, "rawMessage": map[string]any{}, "eventId": "shift.created"})["id"].(string)
	eventually(t, 10*time.Second, "the first post to fail and wait", func() bool {
		return s.must(http.StatusOK, http.MethodGet, sub.base()+"/activations/"+first, sub.token, nil)["nextRetryAt"] != nil
	})
	retry := s.must(http.StatusCreated, http.MethodPost, sub.base()+"/activity/"+first+"/retry", sub.token, nil)
	if retry["type"] != float64(1) || retry["success"] != true || retry["retryingFromPostId"] != first {
		t.Errorf("retry = %v", retry)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := testTemporal.GetWorkflow(ctx, "delivery-"+first, "").Get(ctx, nil); err != nil {
		t.Fatalf("the delivery's workflow did not end after the manual success: %v", err)
	}
	tree := s.must(http.StatusOK, http.MethodGet, sub.base()+"/activity/"+first+"?mode=nested", sub.token, nil)
	if kids := children(tree); len(kids) != 1 || kids[0]["id"] != retry["id"] {
		t.Errorf("tree children = %v, want the manual retry", kids)
	}
}

func TestValidateHashAcceptsARotatedOutSecretDuringItsOverlapOnly(t *testing.T) {
	for _, c := range []struct {
		overlap time.Duration
		oldOK   bool
	}{{time.Hour, true}, {0, false}} {
		s := newStack(t, stackOptions{guard: openGuard, overlap: c.overlap})
		sub := newOrgSub(t, "http://127.0.0.1:1/unused")
		old := sub.secret
		s.must(http.StatusOK, http.MethodPut, sub.base()+"/secrets", sub.token, nil)
		current := s.must(http.StatusOK, http.MethodGet, sub.base()+"/secrets", sub.token, nil)["secretKey"].(string)
		if current == old {
			t.Fatal("the rotation kept the secret")
		}
		for secret, want := range map[string]bool{old: c.oldOK, current: true} {
			got := s.must(http.StatusOK, http.MethodPost, sub.hashBase()+"/validate-hash", sub.token,
				map[string]any{"payload": "{vitals:100}", "hash": independentHash(t, secret, 12345, "{vitals:100}"), "createdAt": 12345})
			if got["value"] != want {
				t.Errorf("overlap %v: a hash under the %s secret validates %v, want %v", c.overlap, map[bool]string{true: "old", false: "new"}[secret == old], got["value"], want)
			}
		}
	}
}

// timerSummaries lists the summaries of the timers a workflow started.
func timerSummaries(t *testing.T, workflowID string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	iter := testTemporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			return out // not started yet
		}
		if ev.GetEventType() != enumspb.EVENT_TYPE_TIMER_STARTED {
			continue
		}
		var summary string
		if p := ev.GetUserMetadata().GetSummary(); p != nil && json.Unmarshal(p.GetData(), &summary) == nil {
			out[summary] = true
		}
	}
	return out
}
