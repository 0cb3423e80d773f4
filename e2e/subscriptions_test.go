package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	standardwebhooks "github.com/standard-webhooks/standard-webhooks/libraries/go"
	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/auth"
	"github.com/hookflow/hookflow/internal/testenv"
)

// organization is an ECG organization with a member's token.
type organization struct {
	id    string
	token string
}

func newOrganization(t *testing.T) organization {
	id := "org-" + testenv.RandomID(4)
	return organization{id: id, token: token(t, auth.Principal{Subject: "member-" + id, OrgID: id})}
}

func (s *stack) subscribe(org organization, url string, events ...string) map[string]any {
	s.t.Helper()
	r := s.do(http.MethodPost, "/api/organizations/"+org.id+"/webhook-subscriptions", org.token,
		map[string]any{"postUri": url, "events": events, "isDevelopment": true})
	if r.status != http.StatusCreated {
		s.t.Fatalf("subscribe: %d %s", r.status, r.raw)
	}
	return r.body
}

func (s *stack) onSubscription(org organization, sub map[string]any, method, action string, body any) response {
	s.t.Helper()
	return s.do(method, "/api/organizations/"+org.id+"/webhook-subscriptions/"+sub["id"].(string)+action, org.token, body)
}

func failureReason(t *testing.T, deliveryID string) string {
	t.Helper()
	d, err := testDB.Stores.Deliveries.Delivery(context.Background(), deliveryID)
	if err != nil {
		t.Fatal(err)
	}
	return d.FailureReason
}

func verifies(t *testing.T, key []byte, whsec string, got received) bool {
	t.Helper()
	var wh *standardwebhooks.Webhook
	var err error
	if whsec != "" {
		wh, err = standardwebhooks.NewWebhook(whsec)
	} else {
		wh, err = standardwebhooks.NewWebhookRaw(key)
	}
	if err != nil {
		t.Fatal(err)
	}
	return wh.Verify(got.body, got.headers) == nil
}

// Events published with organizationId reach the organization's active,
// unarchived subscriptions of the event or of all, signed with their keys.
func TestOrganizationSubscriptionsReceiveTheirOrganizationsEvents(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard})
	org, other := newOrganization(t), newOrganization(t)
	byCode, toAll, silent := newReceiver(t), newReceiver(t), newReceiver(t)
	subByCode := s.subscribe(org, byCode.URL, "shift.created")
	subToAll := s.subscribe(org, toAll.URL, "all")
	s.subscribe(org, silent.URL, "shift.cancelled")
	archived, inactive := s.subscribe(org, silent.URL, "shift.created"), s.subscribe(org, silent.URL, "all")
	s.onSubscription(org, archived, http.MethodPost, "/archive", nil)
	s.onSubscription(org, inactive, http.MethodPost, "/deactivate", nil)
	s.subscribe(other, silent.URL, "all")

	tn := newTenant(t)
	eventID, deliveries := s.publish(tn, map[string]any{"eventType": "shift.created", "organizationId": org.id, "data": map[string]any{"shiftId": "s-9"}})
	if len(deliveries) != 2 {
		t.Fatalf("%d deliveries, want 2 (by code and to all)", len(deliveries))
	}
	eventually(t, 10*time.Second, "both subscriptions' deliveries", func() bool { return byCode.count() == 1 && toAll.count() == 1 })
	for _, c := range []struct {
		rcv *receiver
		sub map[string]any
	}{{byCode, subByCode}, {toAll, subToAll}} {
		got := c.rcv.request(0)
		if !verifies(t, nil, c.sub["secretKey"].(string), got) || got.headers.Get("webhook-id") != eventID {
			t.Errorf("delivery to %s does not verify with its secretKey: %v", c.sub["id"], got.headers)
		}
		var body map[string]any
		if err := json.Unmarshal(got.body, &body); err != nil || body["eventType"] != "shift.created" || body["data"].(map[string]any)["shiftId"] != "s-9" {
			t.Errorf("body %s", got.body)
		}
	}
	for _, id := range deliveries {
		eventually(t, 10*time.Second, "the delivery to succeed", func() bool { return deliveryStatus(t, id) == "succeeded" })
	}
	if silent.count() != 0 {
		t.Errorf("archived, inactive, other-event or other-organization subscriptions got %d requests", silent.count())
	}
}

// Deactivating, archiving or deleting a subscription ends its pending
// retries at once, not an hour later.
func TestDeactivatingArchivingOrDeletingASubscriptionEndsItsPendingRetries(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour}})
	org := newOrganization(t)
	tn := newTenant(t)
	for _, c := range []struct{ method, action, reason string }{
		{http.MethodPost, "/deactivate", "webhook deactivated"},
		{http.MethodPost, "/archive", "webhook archived"},
		{http.MethodDelete, "", "webhook deleted"},
	} {
		t.Run(strings.TrimPrefix(c.reason, "webhook "), func(t *testing.T) {
			rcv := newReceiver(t, http.StatusInternalServerError)
			sub := s.subscribe(org, rcv.URL, "facility.creation.accepted")
			_, ids := s.publish(tn, map[string]any{"eventType": "facility.creation.accepted", "organizationId": org.id, "data": map[string]any{}})
			if len(ids) != 1 {
				t.Fatalf("%d deliveries, want 1", len(ids))
			}
			eventually(t, 10*time.Second, "the first attempt to wait for its retry", func() bool { return deliveryStatus(t, ids[0]) == "retrying" })
			if r := s.onSubscription(org, sub, c.method, c.action, nil); r.status != http.StatusOK || r.raw != `{"value":true}` {
				t.Fatalf("%s: %d %s", c.action, r.status, r.raw)
			}
			eventually(t, 10*time.Second, "the delivery to end", func() bool {
				return workflowStatus(t, ids[0]) != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
			})
			if st, reason := deliveryStatus(t, ids[0]), failureReason(t, ids[0]); st != "failed" || reason != c.reason {
				t.Errorf("delivery %s (%q), want failed (%q)", st, reason, c.reason)
			}
			if rcv.count() != 1 {
				t.Errorf("receiver got %d requests, want the first only", rcv.count())
			}
		})
	}
}

// A delivery whose event type leaves the catalog (here its category is
// archived) after it was published makes no more attempts: it is delivered
// to nobody.
func TestADeliveryOfAnEventTypeTakenOutOfTheCatalogStopsRetrying(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{2 * time.Second, time.Hour}})
	admin := token(t, auth.Principal{Subject: "ops", ClientID: "ops", Roles: []auth.Role{auth.RoleAdmin}})
	code := "ret" + testenv.RandomID(3)
	cat := s.do(http.MethodPost, "/api/webhook-categories", admin, map[string]any{"name": "Retired", "code": code})
	if cat.status != http.StatusCreated {
		t.Fatalf("category: %d %s", cat.status, cat.raw)
	}
	catURL := "/api/webhook-categories/" + cat.body["id"].(string)
	if r := s.do(http.MethodPost, catURL+"/webhook-events", admin, map[string]any{"name": "Gone", "code": code + ".gone", "version": "v1"}); r.status != http.StatusCreated {
		t.Fatalf("event: %d %s", r.status, r.raw)
	}
	org := newOrganization(t)
	rcv := newReceiver(t, http.StatusInternalServerError)
	s.subscribe(org, rcv.URL, code+".gone")
	_, ids := s.publish(newTenant(t), map[string]any{"eventType": code + ".gone", "organizationId": org.id, "data": map[string]any{}})
	if len(ids) != 1 {
		t.Fatalf("%d deliveries, want 1", len(ids))
	}
	eventually(t, 10*time.Second, "the first attempt", func() bool { return rcv.count() == 1 })
	if r := s.do(http.MethodPost, catURL+"/archive", admin, nil); r.status != http.StatusOK {
		t.Fatalf("archive: %d %s", r.status, r.raw)
	}
	eventually(t, 15*time.Second, "the delivery to end", func() bool {
		return workflowStatus(t, ids[0]) != enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING
	})
	if reason := failureReason(t, ids[0]); deliveryStatus(t, ids[0]) != "failed" || !strings.Contains(reason, "delivered to nobody") {
		t.Errorf("delivery ended %s (%q)", deliveryStatus(t, ids[0]), reason)
	}
	if rcv.count() != 1 {
		t.Errorf("receiver got %d requests after the category was archived, want none more", rcv.count())
	}
}

// During the rotation overlap a delivery carries the new and the old
// signature, each verified by the reference library; after it, the new one
// only. The hand-set key signs with its UTF-8 bytes.
func TestRotatedSubscriptionSecretSignsDuringItsOverlapOnly(t *testing.T) {
	const overlap = 8 * time.Second
	s := newStack(t, stackOptions{guard: openGuard, overlap: overlap})
	org := newOrganization(t)
	rcv := newReceiver(t)
	sub := s.subscribe(org, rcv.URL, "all")
	old := sub["secretKey"].(string)
	const handSet = "ecg-secret-key-set-by-hand" // seed 003's sample, at the 24 characters a hand-set key needs
	rotatedAt := time.Now()
	if r := s.onSubscription(org, sub, http.MethodPost, "/webhook-secret-histories", map[string]any{"secretKey": handSet}); r.status != http.StatusCreated {
		t.Fatalf("rotate: %d %s", r.status, r.raw)
	}
	tn := newTenant(t)
	s.publish(tn, map[string]any{"eventType": "shift.created", "organizationId": org.id, "data": map[string]any{"n": 1}})
	eventually(t, 10*time.Second, "the delivery during the overlap", func() bool { return rcv.count() == 1 })
	during := rcv.request(0)
	if time.Since(rotatedAt) >= overlap {
		t.Skip("the machine took longer than the overlap to deliver; nothing to conclude")
	}
	if n := len(strings.Fields(during.headers.Get("webhook-signature"))); n != 2 {
		t.Errorf("%d signatures during the overlap, want 2", n)
	}
	if !verifies(t, []byte(handSet), "", during) || !verifies(t, nil, old, during) {
		t.Errorf("during the overlap: new key verifies %v, old key %v; want both",
			verifies(t, []byte(handSet), "", during), verifies(t, nil, old, during))
	}

	// Once the overlap has passed (the old secret's expiresAt is behind us),
	// only the new key signs.
	var expires time.Time
	for _, e := range s.onSubscription(org, sub, http.MethodGet, "/webhook-secret-histories", nil).body["data"].([]any) {
		if e := e.(map[string]any); e["secretKey"] == old {
			expires, _ = time.Parse(time.RFC3339Nano, e["expiresAt"].(string))
		}
	}
	if expires.IsZero() {
		t.Fatal("the old secret has no expiresAt in the history")
	}
	eventually(t, overlap+5*time.Second, "the overlap to pass", func() bool { return time.Now().After(expires.Add(time.Second)) })
	s.publish(tn, map[string]any{"eventType": "shift.created", "organizationId": org.id, "data": map[string]any{"n": 2}})
	eventually(t, 10*time.Second, "the delivery after the overlap", func() bool { return rcv.count() == 2 })
	after := rcv.request(1)
	if n := len(strings.Fields(after.headers.Get("webhook-signature"))); n != 1 {
		t.Errorf("%d signatures after the overlap, want 1", n)
	}
	if !verifies(t, []byte(handSet), "", after) || verifies(t, nil, old, after) {
		t.Error("after the overlap the new key must verify and the old must not")
	}
	if secrets, err := testDB.Stores.Webhooks.Webhook(context.Background(), sub["id"].(string)); err != nil || len(secrets.Secrets) != 1 || secrets.Kind != hookflow.KindOrganization {
		t.Errorf("signing secrets after the overlap: %v %v", secrets, err)
	}
}

// TestARotationStormSignsEachAttemptWithAtMostThreeSecrets: fifty rotations
// through the API leave an attempt signing with the current secret and the
// two newest overlaps only (hookflow.MaxSigningSecrets), so the signature
// header and the work of an attempt stay as small as after two rotations.
func TestARotationStormSignsEachAttemptWithAtMostThreeSecrets(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, overlap: time.Hour})
	org := newOrganization(t)
	rcv := newReceiver(t)
	sub := s.subscribe(org, rcv.URL, "all")
	const rotations = 50
	for i := range rotations {
		if r := s.onSubscription(org, sub, http.MethodPut, "/secrets", nil); r.status != http.StatusOK {
			t.Fatalf("rotation %d: %d %s", i, r.status, r.raw)
		}
	}
	current := s.onSubscription(org, sub, http.MethodGet, "/secrets", nil).body["secretKey"].(string)
	_, deliveries := s.publish(newTenant(t), map[string]any{"eventType": "shift.created", "organizationId": org.id, "data": map[string]any{"n": 1}})
	eventually(t, 10*time.Second, "the delivery after the storm", func() bool { return rcv.count() == 1 })
	got := rcv.request(0)
	header := got.headers.Get("webhook-signature")
	if n := len(strings.Fields(header)); n != hookflow.MaxSigningSecrets {
		t.Errorf("%d signatures after %d rotations, want %d", n, rotations, hookflow.MaxSigningSecrets)
	}
	if len(header) > 200 {
		t.Errorf("webhook-signature is %d bytes after %d rotations, want at most 200", len(header), rotations)
	}
	if !verifies(t, nil, current, got) {
		t.Error("the current secret does not verify the delivery")
	}
	// The attempt is recorded as one quick POST, not one slowed by thousands
	// of HMACs: far inside the delivery timeout.
	eventually(t, 10*time.Second, "the attempt to be recorded", func() bool {
		attempts, err := testDB.Stores.Deliveries.Attempts(context.Background(), deliveries[0])
		return err == nil && len(attempts) == 1
	})
	attempts, _ := testDB.Stores.Deliveries.Attempts(context.Background(), deliveries[0])
	if !attempts[0].Success || attempts[0].Duration > 2*time.Second {
		t.Errorf("attempt = success %v in %s, want a success well inside the delivery timeout", attempts[0].Success, attempts[0].Duration)
	}
}
