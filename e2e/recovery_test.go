package e2e_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/dispatch"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/workflows"
)

func TestSweepStartsADeliveryWhoseWorkflowNeverStarted(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	tn := newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	// What a publish leaves when Temporal fails after the rows are stored.
	ev := &hookflow.Event{ID: "stranded-" + tn.clientID, EventType: "shift.created", FacilityID: tn.facilities[0], Data: []byte(`{"n":1}`)}
	deliveries, created, err := testDB.Stores.Events.PublishEvent(ctx, ev, "shift")
	if err != nil || !created || len(deliveries) != 1 {
		t.Fatalf("store event: %v, created %v, %d deliveries", err, created, len(deliveries))
	}
	if _, err := s.dispatcher.RecoverStranded(ctx, workflows.RecoverRequest{DueBefore: time.Now().Add(time.Second), Limit: 1000}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 10*time.Second, "the stranded delivery", func() bool { return rcv.count() == 1 })
	if got := rcv.request(0).headers.Get("webhook-id"); got != ev.ID {
		t.Errorf("webhook-id = %q, want %q", got, ev.ID)
	}
}

func TestSweepLeavesARunningDeliveryAlone(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, stackOptions{guard: openGuard})
	var mu sync.Mutex
	requests := 0
	arrived, release := make(chan struct{}), make(chan struct{})
	var once sync.Once
	slow := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		mu.Lock()
		requests++
		mu.Unlock()
		once.Do(func() { close(arrived) })
		<-release
	}))
	t.Cleanup(slow.Close)
	t.Cleanup(func() { close(release) })
	tn := newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": slow.URL, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
	<-arrived // the first attempt is in flight: no attempt recorded yet

	n, err := s.dispatcher.RecoverStranded(ctx, workflows.RecoverRequest{DueBefore: time.Now().Add(time.Second), Limit: 1000})
	if err != nil || n < 1 {
		t.Fatalf("sweep = %d, %v; want it to find the unattempted delivery", n, err)
	}
	time.Sleep(300 * time.Millisecond) // a duplicate workflow would POST by now
	mu.Lock()
	defer mu.Unlock()
	if requests != 1 {
		t.Errorf("receiver got %d requests for delivery %s, want 1: the sweep started a second workflow", requests, ids[0])
	}
}

// workflowStatus is what the Temporal UI shows for a delivery.
func workflowStatus(t *testing.T, deliveryID string) enumspb.WorkflowExecutionStatus {
	t.Helper()
	desc, err := testTemporal.DescribeWorkflowExecution(context.Background(), dispatch.WorkflowID(deliveryID), "")
	if err != nil {
		t.Fatal(err)
	}
	return desc.GetWorkflowExecutionInfo().GetStatus()
}

func deliveryStatus(t *testing.T, deliveryID string) string {
	t.Helper()
	d, err := testDB.Stores.Deliveries.Delivery(context.Background(), deliveryID)
	if err != nil {
		t.Fatal(err)
	}
	return string(d.Status)
}

func TestSweepRestartsADeliveryWhoseWorkflowDiedAndItContinuesItsSchedule(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{time.Hour, time.Hour}})
	rcv := newReceiver(t, http.StatusInternalServerError, http.StatusOK)
	tn := newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
	eventually(t, 10*time.Second, "the first attempt to fail", func() bool { return deliveryStatus(t, ids[0]) == "retrying" })
	// The run dies (an operator terminates it, or its steps gave up).
	if err := testTemporal.TerminateWorkflow(ctx, dispatch.WorkflowID(ids[0]), "", "test: the run dies"); err != nil {
		t.Fatal(err)
	}
	// Its next retry is an hour away: a sweep an hour later finds it overdue.
	n, err := s.dispatcher.RecoverStranded(ctx, workflows.RecoverRequest{DueBefore: time.Now().Add(2 * time.Hour), Limit: 1000})
	if err != nil || n < 1 {
		t.Fatalf("sweep = %d, %v; want it to check the delivery", n, err)
	}
	eventually(t, 10*time.Second, "the restarted delivery to succeed", func() bool { return deliveryStatus(t, ids[0]) == "succeeded" })
	if rcv.count() != 2 {
		t.Errorf("receiver got %d requests, want the failed one and one from the new run", rcv.count())
	}
	if d, err := testDB.Stores.Deliveries.Delivery(ctx, ids[0]); err != nil || d.AttemptCount != 2 {
		t.Errorf("delivery = %+v (%v), want an attempt count of 2", d, err)
	}
	eventually(t, 10*time.Second, "the new run to complete", func() bool {
		return workflowStatus(t, ids[0]) == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
}

func TestSweepLeavesADeliveryThatFailedForItsOwnReason(t *testing.T) {
	ctx := context.Background()
	s := newStack(t, stackOptions{guard: openGuard, schedule: []time.Duration{}})
	rcv := newReceiver(t, http.StatusInternalServerError)
	tn := newTenant(t)
	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	_, ids := s.publish(tn, map[string]any{"eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}})
	// The schedule is exhausted: Failed (red in the UI), failed in PostgreSQL.
	eventually(t, 10*time.Second, "the workflow to fail", func() bool {
		return workflowStatus(t, ids[0]) == enumspb.WORKFLOW_EXECUTION_STATUS_FAILED
	})
	if got := deliveryStatus(t, ids[0]); got != "failed" {
		t.Fatalf("delivery status %q, want failed", got)
	}
	if _, err := s.dispatcher.RecoverStranded(ctx, workflows.RecoverRequest{DueBefore: time.Now().Add(time.Hour), Limit: 1000}); err != nil {
		t.Fatal(err)
	}
	if got := workflowStatus(t, ids[0]); got != enumspb.WORKFLOW_EXECUTION_STATUS_FAILED {
		t.Errorf("after the sweep the workflow is %v, want the failed run left as it was", got)
	}
	if rcv.count() != 1 {
		t.Errorf("receiver got %d requests, want the one attempt only", rcv.count())
	}
}

func TestSweepPagesThroughOverdueDeliveriesAndSkipsLongBackoffs(t *testing.T) {
	ctx := context.Background()
	tn := newTenant(t)
	s := newStack(t, stackOptions{guard: openGuard})
	rcv := newReceiver(t)
	s.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	var overdue []string
	for i := range 5 {
		ev := &hookflow.Event{ID: fmt.Sprintf("keyset-%s-%d", tn.clientID, i), EventType: "shift.created", FacilityID: tn.facilities[0], Data: []byte(`{}`)}
		ds, _, err := testDB.Stores.Events.PublishEvent(ctx, ev, "shift")
		if err != nil || len(ds) != 1 {
			t.Fatalf("store event: %v (%d deliveries)", err, len(ds))
		}
		overdue = append(overdue, ds[0].ID)
	}
	// One more in a long backoff: its next retry is a day away.
	ev := &hookflow.Event{ID: "keyset-backoff-" + tn.clientID, EventType: "shift.created", FacilityID: tn.facilities[0], Data: []byte(`{}`)}
	ds, _, err := testDB.Stores.Events.PublishEvent(ctx, ev, "shift")
	if err != nil {
		t.Fatal(err)
	}
	waiting := ds[0].ID
	// A failed first attempt due again in a day leaves it retrying.
	dayLater := time.Now().Add(24 * time.Hour)
	testenv.RecordAttempt(t, testDB.Stores, &hookflow.Attempt{DeliveryID: waiting, URL: ds[0].URL, ResponseStatus: 503, NextRetryAt: &dayLater})
	if d, err := testDB.Stores.Deliveries.Delivery(ctx, waiting); err != nil || d.Status != hookflow.StatusRetrying || d.AttemptCount != 1 {
		t.Fatalf("delivery in backoff = %+v, %v; want retrying after one attempt", d, err)
	}

	// Pages of two: every overdue delivery comes exactly once, in due order.
	seen := map[string]int{}
	var cursor hookflow.DueCursor
	cutoff := time.Now().Add(time.Second)
	for pages := 0; ; pages++ {
		if pages > 10000 {
			t.Fatal("the pages never end")
		}
		page, err := testDB.Stores.Deliveries.StrandedDeliveries(ctx, cutoff, cursor, 2)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			seen[d.ID]++
		}
		if len(page) < 2 {
			break
		}
		cursor = cursor.Next(page[len(page)-1])
	}
	for _, id := range overdue {
		if seen[id] != 1 {
			t.Errorf("overdue delivery %s read %d times, want once", id, seen[id])
		}
	}
	if seen[waiting] != 0 {
		t.Errorf("the delivery in a day-long backoff was read by the sweep")
	}
	if _, err := s.dispatcher.RecoverStranded(ctx, workflows.RecoverRequest{DueBefore: cutoff, Limit: 100000}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 20*time.Second, "the five overdue deliveries", func() bool { return rcv.count() == 5 })
}
