package storage_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/storage"
)

func TestLogQueryHasAConditionOnlyPerGivenFilter(t *testing.T) {
	start := time.Now()
	sql, count, args := storage.LogQuery(hookflow.LogFilter{ClientID: "c1", EventType: "shift.created", Start: &start, Limit: 10})
	if len(args) != 5 {
		t.Fatalf("args = %v, want client, event type, start, limit, offset", args)
	}
	for _, want := range []string{"d.client_id = $1", "d.event_type = $2", "d.created_at >= $3", "LIMIT $4 OFFSET $5", "ORDER BY d.created_at DESC"} {
		if !strings.Contains(sql, want) {
			t.Errorf("query lacks %q:\n%s", want, sql)
		}
	}
	if strings.Contains(sql, "facility_id = ANY") {
		t.Errorf("a facility condition without a facility filter:\n%s", sql)
	}
	if !strings.Contains(count, "d.client_id = $1") || !strings.HasSuffix(count, "LIMIT 10001) matches") {
		t.Errorf("count does not stop after MaxLogTotal+1 matches:\n%s", count)
	}
	asc, _, _ := storage.LogQuery(hookflow.LogFilter{Ascending: true, Limit: 1})
	if !strings.Contains(asc, "ORDER BY d.created_at ASC") || strings.Contains(asc, "WHERE d.") {
		t.Errorf("unfiltered ascending query:\n%s", asc)
	}
}

func BenchmarkLogQuery(b *testing.B) {
	start, end := time.Now().Add(-time.Hour), time.Now()
	f := hookflow.LogFilter{ClientID: "c1", FacilityIDs: []string{"P-1", "P-2"}, EventType: "shift.created", Start: &start, End: &end, Limit: 10, Offset: 20}
	b.ReportAllocs()
	for b.Loop() {
		storage.LogQuery(f)
	}
}

func TestLogEntryIsADeliveryWithItsRequestAndLastAttempt(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	d := newDelivery(t, s)
	entry, err := s.Logs.LogEntry(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if entry.Delivery.ID != d.ID || entry.LastAttempt != nil || !strings.Contains(string(entry.Request), `"id":"`+d.EventID+`"`) ||
		!strings.Contains(string(entry.Request), `"data":{"n":1}`) {
		t.Errorf("entry before any attempt = %+v, request %s", entry, entry.Request)
	}
	later := time.Now().Add(time.Hour)
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: d.ID, URL: d.URL, ResponseStatus: 503, NextRetryAt: &later})
	last := testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: d.ID, URL: d.URL, ResponseStatus: 200, Success: true})
	entry, err = s.Logs.LogEntry(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	if entry.LastAttempt == nil || entry.LastAttempt.ID != last.ID || entry.LastAttempt.Number != 2 || entry.Delivery.Status != hookflow.StatusSucceeded {
		t.Errorf("entry after two attempts = %+v, last %+v", entry.Delivery, entry.LastAttempt)
	}
	for _, id := range []string{uuid.NewString(), "not-a-uuid"} {
		_, err := s.Logs.LogEntry(ctx, id)
		wantNotFound(t, err, storage.ErrDeliveryNotFound, "LogEntry("+id+")")
	}
}

func TestSearchLogsFiltersPagesAndCounts(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	client := "client-" + testenv.RandomID(4)
	testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: client, Events: []string{"facility.creation.accepted", "facility.creation.rejected"}})
	var accepted []string
	var rejected string
	for i := range 4 {
		eventType := "facility.creation.accepted"
		if i == 3 {
			eventType = "facility.creation.rejected"
		}
		ds := testenv.PublishEvent(t, s, &hookflow.Event{ID: "evt-" + testenv.RandomID(6), EventType: eventType, ClientID: client}, "facility")
		if len(ds) != 1 {
			t.Fatalf("deliveries = %+v", ds)
		}
		if i == 3 {
			rejected = ds[0].ID
		} else {
			accepted = append(accepted, ds[0].ID)
		}
	}
	testenv.RecordAttempt(t, s, &hookflow.Attempt{DeliveryID: accepted[0], URL: "https://example.com", ResponseStatus: 200, Success: true})
	ids := func(es []hookflow.LogEntry) []string {
		var out []string
		for _, e := range es {
			out = append(out, e.Delivery.ID)
		}
		return out
	}
	tests := []struct {
		name   string
		filter hookflow.LogFilter
		want   []string
		total  int
	}{
		{"the client's, newest first", hookflow.LogFilter{ClientID: client, Limit: 10}, []string{rejected, accepted[2], accepted[1], accepted[0]}, 4},
		{"oldest first", hookflow.LogFilter{ClientID: client, Limit: 10, Ascending: true}, []string{accepted[0], accepted[1], accepted[2], rejected}, 4},
		{"a page", hookflow.LogFilter{ClientID: client, Limit: 2, Offset: 1}, []string{accepted[2], accepted[1]}, 4},
		{"an event type", hookflow.LogFilter{ClientID: client, EventType: "facility.creation.rejected", Limit: 10}, []string{rejected}, 1},
		{"another client", hookflow.LogFilter{ClientID: client + "-other", Limit: 10}, nil, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, total, err := s.Logs.SearchLogs(ctx, tt.filter)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(ids(got), tt.want) || total != tt.total {
				t.Errorf("logs = %v (total %d), want %v (total %d)", ids(got), total, tt.want, tt.total)
			}
		})
	}
	got, _, err := s.Logs.SearchLogs(ctx, hookflow.LogFilter{ClientID: client, Limit: 10, Ascending: true})
	if err != nil || len(got) != 4 || got[0].LastAttempt == nil || !got[0].LastAttempt.Success || got[1].LastAttempt != nil {
		t.Errorf("last attempts: %+v, %v", got, err)
	}
}

func TestSearchLogsWithinAFacilityScopeHidesOtherFacilitiesOfFacilityWebhooksOnly(t *testing.T) {
	ctx := context.Background()
	s := testDB.Stores
	client := "client-" + testenv.RandomID(4)
	p1, p2 := "P-"+testenv.RandomID(4), "P-"+testenv.RandomID(4)
	testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindFacility, ClientID: client, Facilities: []string{p1, p2}})
	testenv.NewWebhook(t, s, &hookflow.Webhook{Kind: hookflow.KindUser, ClientID: client})
	publish := func(ev *hookflow.Event, category string) string {
		ev.ID = "evt-" + testenv.RandomID(6)
		ds := testenv.PublishEvent(t, s, ev, category)
		if len(ds) != 1 {
			t.Fatalf("deliveries of %+v = %+v, want 1", ev, ds)
		}
		return ds[0].ID
	}
	ofP1 := publish(&hookflow.Event{EventType: "shift.created", FacilityID: p1}, "shift")
	ofP2 := publish(&hookflow.Event{EventType: "shift.created", FacilityID: p2}, "shift")
	// A user webhook's delivery belongs to the client even when its event names a facility.
	ofUser := publish(&hookflow.Event{EventType: "facility.creation.accepted", FacilityID: p1, ClientID: client}, "facility")

	for name, tt := range map[string]struct {
		scope hookflow.FacilityScope
		want  []string
	}{
		"unscoped":      {hookflow.FacilityScope{}, []string{ofP1, ofP2, ofUser}},
		"P-2 only":      {hookflow.FacilityScope{Scoped: true, Facilities: []string{p2}}, []string{ofP2, ofUser}},
		"empty claim":   {hookflow.FacilityScope{Scoped: true, Facilities: []string{}}, []string{ofUser}},
		"nil claim":     {hookflow.FacilityScope{Scoped: true}, []string{ofUser}},
		"both in claim": {hookflow.FacilityScope{Scoped: true, Facilities: []string{p1, p2}}, []string{ofP1, ofP2, ofUser}},
	} {
		t.Run(name, func(t *testing.T) {
			got, total, err := s.Logs.SearchLogs(ctx, hookflow.LogFilter{ClientID: client, Scope: tt.scope, Limit: 10, Ascending: true})
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, e := range got {
				ids = append(ids, e.Delivery.ID)
			}
			if !slices.Equal(ids, tt.want) || total != len(tt.want) {
				t.Errorf("logs = %v (total %d), want %v", ids, total, tt.want)
			}
		})
	}
	entry, err := s.Logs.LogEntry(ctx, ofP1)
	if err != nil || entry.Delivery.WebhookKind != hookflow.KindFacility {
		t.Errorf("log entry's webhook kind = %q (%v), want facility", entry.Delivery.WebhookKind, err)
	}
}
