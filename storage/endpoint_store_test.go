package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
)

// endpointDelivery publishes one event to the client's webhook w and
// returns its delivery.
func endpointDelivery(t *testing.T, w *hookflow.Webhook) (string, hookflow.Delivery) {
	t.Helper()
	ev := &hookflow.Event{ID: "ep-" + testenv.RandomID(8), EventType: "facility.creation.accepted", ClientID: w.ClientID}
	ds := testenv.PublishEvent(t, testDB.Stores, ev, "facility")
	if len(ds) != 1 || ds[0].WebhookID != w.ID {
		t.Fatalf("deliveries = %+v", ds)
	}
	return ev.ID, ds[0]
}

func TestEndpointReportOfAHealthyEndpointIsClosedWithNoStats(t *testing.T) {
	w := testenv.NewWebhook(t, testDB.Stores, &hookflow.Webhook{ClientID: "client-" + testenv.RandomID(4)})
	r, err := testDB.Stores.Endpoints.EndpointReport(context.Background(), w.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h := r.Health
	if h.State != hookflow.EndpointClosed || h.WebhookID != w.ID || h.ConsecutiveFailures != 0 || h.FailingSince != nil || h.DisabledAt != nil {
		t.Errorf("health = %+v, want closed with nothing", h)
	}
	if r.LastHour.Attempts != 0 || r.LastHour.SuccessRate() != nil || len(r.Changes) != 0 || r.RateLimit != nil {
		t.Errorf("report = %+v, want no attempts, rate or changes", r)
	}
	if _, err := testDB.Stores.Endpoints.EndpointReport(context.Background(), "00000000-0000-0000-0000-000000000000", time.Now()); err != hookflow.ErrWebhookNotFound {
		t.Errorf("unknown webhook: err = %v", err)
	}
}

func TestEndpointStatsCountAttemptsByResultOverTheHourAndTheDay(t *testing.T) {
	s := testDB.Stores
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: "client-" + testenv.RandomID(4)})
	later := time.Now().Add(time.Hour)
	_, d := endpointDelivery(t, w)
	for _, a := range []hookflow.Attempt{
		{ResponseStatus: 503, NextRetryAt: &later},
		{ResponseStatus: 404, NextRetryAt: &later},
		{ResponseStatus: 302, NextRetryAt: &later},
		{Error: "timed out: context deadline exceeded", NextRetryAt: &later},
		{Error: "connection refused", NextRetryAt: &later},
		{ResponseStatus: 200, Success: true},
	} {
		a.DeliveryID, a.URL = d.ID, d.URL
		testenv.RecordAttempt(t, s, &a)
	}
	// Two hours ago: in the day, not in the hour.
	oldEvent, old := endpointDelivery(t, w)
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: old.ID, URL: old.URL, ResponseStatus: 500, NextRetryAt: &later})
	testenv.Backdate(t, testDB, oldEvent, time.Now().Add(-2*time.Hour))

	r, err := s.Endpoints.EndpointReport(context.Background(), w.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	wantHour := hookflow.EndpointStats{Attempts: 6, Succeeded: 1, Failed: 5, Status2xx: 1, Status3xx: 1, Status4xx: 1, Status5xx: 1, Timeout: 1, Error: 1}
	if r.LastHour != wantHour {
		t.Errorf("last hour = %+v, want %+v", r.LastHour, wantHour)
	}
	wantDay := wantHour
	wantDay.Attempts, wantDay.Failed, wantDay.Status5xx = 7, 6, 2
	if r.LastDay != wantDay {
		t.Errorf("last day = %+v, want %+v", r.LastDay, wantDay)
	}
	if rate := r.LastHour.SuccessRate(); rate == nil || *rate != 1.0/6 {
		t.Errorf("success rate = %v, want 1/6", rate)
	}
}

func TestDisableAndEnableAreRecordedNewestFirstAndEnableResetsTheRow(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: "client-" + testenv.RandomID(4)})
	if err := s.Endpoints.DisableEndpoint(ctx, w.ID, "maintenance", "alice"); err != nil {
		t.Fatal(err)
	}
	// A second disable changes nothing: the first reason stays, no change recorded.
	if err := s.Endpoints.DisableEndpoint(ctx, w.ID, "again", "bob"); err != nil {
		t.Fatal(err)
	}
	r, err := s.Endpoints.EndpointReport(ctx, w.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if r.Health.State != hookflow.EndpointDisabled || r.Health.DisabledReason != "maintenance" || r.Health.DisabledAt == nil {
		t.Errorf("after disable: %+v", r.Health)
	}
	if len(r.Changes) != 1 || r.Changes[0].Kind != hookflow.ChangeDisabled || r.Changes[0].Actor != "alice" || r.Changes[0].Reason != "maintenance" {
		t.Errorf("changes after disable = %+v", r.Changes)
	}

	if err := s.Endpoints.EnableEndpoint(ctx, w.ID, "carol"); err != nil {
		t.Fatal(err)
	}
	// Enabling a closed endpoint records nothing more.
	if err := s.Endpoints.EnableEndpoint(ctx, w.ID, "dave"); err != nil {
		t.Fatal(err)
	}
	r, err = s.Endpoints.EndpointReport(ctx, w.ID, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	h := r.Health
	if h.State != hookflow.EndpointClosed || h.DisabledAt != nil || h.DisabledReason != "" || h.ConsecutiveFailures != 0 || h.FailingSince != nil {
		t.Errorf("after enable: %+v", h)
	}
	if len(r.Changes) != 2 || r.Changes[0].Kind != hookflow.ChangeEnabled || r.Changes[0].Actor != "carol" || r.Changes[1].Kind != hookflow.ChangeDisabled {
		t.Errorf("changes = %+v, want enabled then disabled", r.Changes)
	}
}
