package storage_test

import (
	"context"
	"testing"
	"time"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/internal/testenv"
	"github.com/hookflow/hookflow/storage"
)

// Purges delete every old row of the database, so these run on one of their
// own, with rows dated back by testenv.Backdate.
func TestRetentionPurgesSettledDeliveriesAndUnreferencedEventsPastTheCutoff(t *testing.T) {
	ctx := context.Background()
	tdb := newDatabase(t)
	s := tdb.Stores
	day := 24 * time.Hour
	client := "client-" + testenv.RandomID(4)
	w := testenv.NewWebhook(t, s, &hookflow.Webhook{ClientID: client})
	// seed publishes an event to w, records two attempts that leave its
	// delivery with status, and dates it all age ago.
	seed := func(age time.Duration, status hookflow.DeliveryStatus) (eventID, deliveryID string) {
		ev := &hookflow.Event{ID: "ret-" + testenv.RandomID(6), EventType: "facility.creation.accepted", ClientID: client}
		ds := testenv.PublishEvent(t, s, ev, "facility")
		if len(ds) != 1 || ds[0].WebhookID != w.ID {
			t.Fatalf("deliveries = %+v", ds)
		}
		testenv.SettleAttempts(t, s, ds[0], 2, status)
		testenv.Backdate(t, tdb, ev.ID, time.Now().Add(-age))
		return ev.ID, ds[0].ID
	}
	orphan := func(age time.Duration) string {
		ev := &hookflow.Event{ID: "orphan-" + testenv.RandomID(6), EventType: "shift.created", FacilityID: "F-nobody"}
		testenv.PublishEvent(t, s, ev, "shift")
		testenv.Backdate(t, tdb, ev.ID, time.Now().Add(-age))
		return ev.ID
	}
	oldestEvent, oldest := seed(42*day, hookflow.StatusSucceeded)
	oldEvent, old := seed(41*day, hookflow.StatusFailed)
	_, young := seed(39*day, hookflow.StatusSucceeded)
	retryingEvent, retrying := seed(41*day, hookflow.StatusRetrying)
	oldOrphan := orphan(41 * day)
	youngOrphan := orphan(39 * day)
	cutoff := time.Now().Add(-40 * day)

	counts, err := s.Retention.PurgeCandidates(ctx, cutoff)
	if err != nil {
		t.Fatal(err)
	}
	// The two settled old deliveries with their four attempts, and their two
	// events with the old orphan; the retrying delivery keeps its event.
	if want := (storage.PurgeCounts{Deliveries: 2, Attempts: 4, Events: 3}); counts != want {
		t.Errorf("candidates = %+v, want %+v", counts, want)
	}
	if none, err := s.Retention.PurgeCandidates(ctx, time.Now().Add(-50*day)); err != nil || none != (storage.PurgeCounts{}) {
		t.Errorf("candidates at an older cutoff = %+v, %v; want none", none, err)
	}

	exists := func(id string) bool {
		_, err := s.Deliveries.Delivery(ctx, id)
		if err != nil && err != storage.ErrDeliveryNotFound {
			t.Fatal(err)
		}
		return err == nil
	}
	n, attempts, err := s.Retention.PurgeDeliveries(ctx, cutoff, 1)
	if err != nil || n != 1 || attempts != 2 {
		t.Fatalf("first purge of one = %d deliveries, %d attempts, %v; want 1 and 2", n, attempts, err)
	}
	if exists(oldest) || !exists(old) {
		t.Errorf("a purge of one took the wrong delivery: oldest left %v, next left %v", exists(oldest), exists(old))
	}
	if all, err := s.Deliveries.Attempts(ctx, oldest); err != nil || len(all) != 0 {
		t.Errorf("attempts of a purged delivery = %d, %v", len(all), err)
	}
	if n, attempts, err = s.Retention.PurgeDeliveries(ctx, cutoff, 10); err != nil || n != 1 || attempts != 2 {
		t.Errorf("second purge = %d deliveries, %d attempts, %v; want the failed one's 1 and 2", n, attempts, err)
	}
	if n, attempts, err = s.Retention.PurgeDeliveries(ctx, cutoff, 10); err != nil || n != 0 || attempts != 0 {
		t.Errorf("purge with nothing left = %d, %d, %v", n, attempts, err)
	}
	for _, id := range []string{young, retrying} {
		if !exists(id) {
			t.Errorf("delivery %s was purged: too young or unsettled", id)
		}
	}

	events := func(ids ...string) (n int) {
		if err := tdb.DB.Pool().QueryRow(ctx, `SELECT count(*) FROM events WHERE id = ANY($1)`, ids).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	gone, err := s.Retention.PurgeEvents(ctx, cutoff, 2)
	if err != nil || gone != 2 {
		t.Errorf("purge of two events = %d, %v", gone, err)
	}
	if gone, err = s.Retention.PurgeEvents(ctx, cutoff, 10); err != nil || gone != 1 {
		t.Errorf("purge of the rest = %d, %v; want the last old unreferenced event", gone, err)
	}
	if events(oldestEvent, oldEvent, oldOrphan) != 0 || events(retryingEvent) != 1 || events(youngOrphan) != 1 {
		t.Errorf("events left: old %d, retrying's %d, young orphan %d", events(oldestEvent, oldEvent, oldOrphan), events(retryingEvent), events(youngOrphan))
	}
	if left, err := s.Retention.PurgeCandidates(ctx, cutoff); err != nil || left != (storage.PurgeCounts{}) {
		t.Errorf("candidates after the purge = %+v, %v; want none", left, err)
	}
}
