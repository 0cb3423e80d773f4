package e2e_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
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
	deliveries, created, err := testDB.DB.PublishEvent(ctx, ev, "shift")
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
