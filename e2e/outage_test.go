package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/hookflow/hookflow/internal/testenv"
)

const unavailable = `{"message":"Event could not be accepted now; retry with the same id","error":"Service Unavailable","statusCode":503}`

func TestPublishIs503WhenTemporalIsDownAndLeavesNothingHalfDone(t *testing.T) {
	down, err := client.NewLazyClient(client.Options{HostPort: "127.0.0.1:1", Logger: nil})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(down.Close)
	broken := newStack(t, stackOptions{guard: openGuard, temporal: down})
	rcv := newReceiver(t)
	tn := newTenant(t)
	broken.createWebhook(tn, "facility", map[string]any{"url": rcv.URL, "events": []string{"all"}})
	body := map[string]any{"id": "outage-" + tn.clientID, "eventType": "shift.created", "facilityId": tn.facilities[0], "data": map[string]any{}}

	r := broken.do(http.MethodPost, "/api/v2/events", tn.token, body)
	if r.status != http.StatusServiceUnavailable || r.raw != unavailable {
		t.Fatalf("publish with Temporal down: %d %s", r.status, r.raw)
	}
	var events, deliveries int
	err = testDB.DB.Pool().QueryRow(context.Background(), `SELECT (SELECT count(*) FROM events WHERE id = $1), (SELECT count(*) FROM deliveries WHERE event_id = $1)`, body["id"]).Scan(&events, &deliveries)
	if err != nil || events != 0 || deliveries != 0 {
		t.Fatalf("after the 503: %d events, %d deliveries (%v); want none", events, deliveries, err)
	}

	// The publisher retries the same id once Temporal is back: delivered once.
	healthy := newStack(t, stackOptions{guard: openGuard})
	_, ids := healthy.publish(tn, body)
	if len(ids) != 1 {
		t.Fatalf("retry made %d deliveries, want 1", len(ids))
	}
	eventually(t, 10*time.Second, "the delivery", func() bool { return rcv.count() == 1 })
}

func TestPublishIs503WhenPostgresIsDown(t *testing.T) {
	ctx := context.Background()
	gone, err := testenv.NewDatabase(ctx, "outage")
	if err != nil {
		t.Fatal(err)
	}
	if err := gone.Drop(ctx); err != nil {
		t.Fatal(err)
	}
	s := newStack(t, stackOptions{guard: openGuard, db: gone.DB})
	tn := newTenant(t)
	r := s.do(http.MethodPost, "/api/v2/events", tn.token, map[string]any{"eventType": "shift.created", "data": map[string]any{}})
	if r.status != http.StatusServiceUnavailable || r.raw != unavailable {
		t.Errorf("publish with PostgreSQL down: %d %s", r.status, r.raw)
	}
}
