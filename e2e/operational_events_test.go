package e2e_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/dispatch"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/signing"
	"github.com/hookflow/hookflow/workflows"
)

// recordChange records an endpoint state change as the engine does: a row
// in the outbox, published_at NULL; ago backdates it.
func recordChange(t *testing.T, webhookID string, kind hookflow.EndpointChangeKind, reason string, ago time.Duration) string {
	t.Helper()
	var id string
	err := testDB.DB.Pool().QueryRow(context.Background(), `INSERT INTO endpoint_state_changes (webhook_id, kind, reason, created_at)
		VALUES ($1, $2, nullif($3, ''), now() - $4::interval) RETURNING id::text`, webhookID, kind, reason, ago.String()).Scan(&id)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func changePublished(t *testing.T, id string) bool {
	t.Helper()
	var published bool
	if err := testDB.DB.Pool().QueryRow(context.Background(), `SELECT published_at IS NOT NULL FROM endpoint_state_changes WHERE id = $1`, id).Scan(&published); err != nil {
		t.Fatal(err)
	}
	return published
}

// operationalEvent decodes a received operational event after checking its
// Standard Webhooks signature with secret.
func operationalEvent(t *testing.T, got received, secret string) (string, hookflow.EndpointEventData) {
	t.Helper()
	if err := signing.Verify(got.body, got.headers, secret, time.Now(), signing.DefaultTolerance); err != nil {
		t.Fatalf("operational event not signed with the operator webhook's secret: %v", err)
	}
	var env struct {
		ID        string                     `json:"id"`
		EventType string                     `json:"eventType"`
		Data      hookflow.EndpointEventData `json:"data"`
	}
	if err := json.Unmarshal(got.body, &env); err != nil {
		t.Fatalf("body %s: %v", got.body, err)
	}
	return env.EventType, env.Data
}

// A dead endpoint's state changes reach its client's operator webhook, and
// only that client's, once each, signed; disabling it ends its waiting
// deliveries; a change whose publish was lost is published by the sweep.
func TestOperationalEventsReachTheTenantsOperatorWebhookOnce(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour}})
	ctx := context.Background()
	c, other := newTenant(t), newTenant(t)
	dead, ops, otherOps := newReceiver(t, http.StatusInternalServerError), newReceiver(t), newReceiver(t)
	hook := s.createWebhook(c, "facility", map[string]any{"url": dead.URL, "events": []string{"shift.created"}})
	opHook := s.createWebhook(c, "user", map[string]any{"url": ops.URL,
		"events": []string{hookflow.EventCircuitOpened, hookflow.EventDisabled, hookflow.EventRecovered}})
	s.createWebhook(other, "user", map[string]any{"url": otherOps.URL, "events": []string{hookflow.EventCircuitOpened, hookflow.EventDisabled}})
	s.createWebhook(c, "user", map[string]any{"url": otherOps.URL, "events": []string{"all"}}) // all does not include them
	hookID, secret := hook["id"].(string), opHook["secrets"].([]any)[0].(string)

	// A delivery to the dead endpoint fails and waits an hour.
	_, ids := s.publish(c, map[string]any{"eventType": "shift.created", "facilityId": c.facilities[0], "clientId": c.clientID, "data": map[string]any{"n": 1}})
	eventually(t, 10*time.Second, "the first attempt to fail", func() bool {
		d, err := testDB.Stores.Deliveries.Delivery(ctx, ids[0])
		return err == nil && d.Status == hookflow.StatusRetrying
	})

	opened := recordChange(t, hookID, hookflow.ChangeCircuitOpened, "5 failures in a row", 0)
	for range 2 { // published once however often it is called
		if err := s.dispatcher.EndpointChanged(ctx, hookID); err != nil {
			t.Fatal(err)
		}
	}
	eventually(t, 10*time.Second, "the circuit-opened event", func() bool { return ops.count() >= 1 })
	eventType, data := operationalEvent(t, ops.request(0), secret)
	if eventType != hookflow.EventCircuitOpened || data.WebhookID != hookID || data.Kind != hookflow.KindFacility || data.URL != dead.URL ||
		data.State != hookflow.EndpointOpen || data.Change != hookflow.ChangeCircuitOpened || data.Reason != "5 failures in a row" || data.OccurredAt.IsZero() {
		t.Errorf("event %s = %+v", eventType, data)
	}
	if !changePublished(t, opened) {
		t.Error("change not marked published")
	}

	// Disabling wakes the delivery waiting an hour: it ends now.
	disabled := recordChange(t, hookID, hookflow.ChangeDisabled, "410 Gone", 0)
	if err := s.dispatcher.EndpointChanged(ctx, hookID); err != nil {
		t.Fatal(err)
	}
	eventually(t, 15*time.Second, "the waiting delivery to end", func() bool {
		d, err := testDB.Stores.Deliveries.Delivery(ctx, ids[0])
		return err == nil && d.Status == hookflow.StatusFailed
	})
	eventually(t, 10*time.Second, "the disabled event", func() bool { return ops.count() >= 2 })
	if eventType, data := operationalEvent(t, ops.request(1), secret); eventType != hookflow.EventDisabled || data.State != hookflow.EndpointDisabled || data.Reason != "410 Gone" {
		t.Errorf("event %s = %+v", eventType, data)
	}
	if !changePublished(t, disabled) {
		t.Error("disabled change not marked published")
	}

	// A change whose publish was lost is published by the recovery sweep.
	lost := recordChange(t, hookID, hookflow.ChangeEnabled, "", time.Minute)
	if _, err := s.dispatcher.RecoverStranded(ctx, workflows.RecoverRequest{DueBefore: time.Now().Add(-time.Hour), Limit: 10,
		ChangesBefore: time.Now().Add(-workflows.UnpublishedChangesAfter)}); err != nil {
		t.Fatal(err)
	}
	if !changePublished(t, lost) {
		t.Error("the sweep left a lost change unpublished")
	}
	eventually(t, 10*time.Second, "the recovered event", func() bool { return ops.count() >= 3 })
	if eventType, data := operationalEvent(t, ops.request(2), secret); eventType != hookflow.EventRecovered || data.Change != hookflow.ChangeEnabled || data.State != hookflow.EndpointClosed {
		t.Errorf("event %s = %+v", eventType, data)
	}

	// Nothing more: each change once, and nothing to the other client or
	// to the webhook subscribed to all.
	time.Sleep(500 * time.Millisecond) // a duplicate would have been posted with the others
	if ops.count() != 3 || otherOps.count() != 0 {
		t.Errorf("operator webhook got %d events (want 3), the other client's and the all webhook %d (want 0)", ops.count(), otherOps.count())
	}
}

// A closed circuit resumes the endpoint's deliveries oldest first, spaced at
// its rate limit.
func TestARecoveredEndpointsDeliveriesResumeSpreadAtItsRate(t *testing.T) {
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour}})
	ctx := context.Background()
	c := newTenant(t)
	dead := newReceiver(t, http.StatusServiceUnavailable)
	hook := s.createWebhook(c, "facility", map[string]any{"url": dead.URL, "events": []string{"shift.created"}, "rateLimit": 4})
	hookID := hook["id"].(string)
	var ids []string
	for i := range 3 {
		_, d := s.publish(c, map[string]any{"id": "resume-" + testenv.RandomID(4), "eventType": "shift.created", "facilityId": c.facilities[0], "data": map[string]any{"n": i}})
		ids = append(ids, d...)
	}
	eventually(t, 10*time.Second, "every first attempt to fail", func() bool {
		for _, id := range ids {
			if d, err := testDB.Stores.Deliveries.Delivery(ctx, id); err != nil || d.Status != hookflow.StatusRetrying {
				return false
			}
		}
		return true
	})
	recordChange(t, hookID, hookflow.ChangeCircuitClosed, "", 0)
	if err := s.dispatcher.EndpointChanged(ctx, hookID); err != nil {
		t.Fatal(err)
	}
	for i, id := range ids {
		want := time.Duration(i) * 250 * time.Millisecond // 4 per second
		if got, ok := resumeSignal(t, dispatch.WorkflowID(id)); !ok || got != want {
			t.Errorf("delivery %d resume signal after %v (sent %v), want %v", i, got, ok, want)
		}
	}
}

// resumeSignal finds the endpoint-resume signal a workflow got.
func resumeSignal(t *testing.T, workflowID string) (time.Duration, bool) {
	t.Helper()
	iter := testTemporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for iter.HasNext() {
		ev, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		attrs := ev.GetWorkflowExecutionSignaledEventAttributes()
		if attrs == nil || attrs.GetSignalName() != workflows.EndpointResumeSignal {
			continue
		}
		var r workflows.Resume
		if err := json.Unmarshal(attrs.GetInput().GetPayloads()[0].GetData(), &r); err != nil {
			t.Fatal(err)
		}
		return time.Duration(r.After), true
	}
	return 0, false
}
