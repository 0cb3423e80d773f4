package activities_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/testsuite"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/activities"
	"github.com/hookflow/hookflow/internal/testenv"
)

var testDB *testenv.Database

func TestMain(m *testing.M) { os.Exit(testenv.Main(m, "activities", &testDB)) }

// seedDelivery publishes an event to the webhook (a user webhook of a client
// of its own, so that it is the event's only delivery), records attempts
// scheduled attempts that leave the delivery with status (none: pending),
// and dates it all age ago.
func seedDelivery(t *testing.T, webhookID uuid.UUID, age time.Duration, status string, attempts int) (eventID string, deliveryID uuid.UUID) {
	t.Helper()
	w, err := testDB.Stores.Webhooks.Webhook(context.Background(), webhookID.String())
	if err != nil {
		t.Fatal(err)
	}
	ev := &hookflow.Event{ID: "evt-" + uuid.NewString(), EventType: "facility.creation.accepted", ClientID: w.ClientID}
	ds := testenv.PublishEvent(t, testDB.Stores, ev, "facility")
	if len(ds) != 1 || ds[0].WebhookID != w.ID {
		t.Fatalf("deliveries = %+v, want one to %s (give each seeded webhook a client of its own)", ds, w.ID)
	}
	if attempts > 0 {
		testenv.SettleAttempts(t, testDB.Stores, ds[0], attempts, hookflow.DeliveryStatus(status))
	} else if status != string(hookflow.StatusPending) {
		t.Fatalf("a delivery without attempts is pending, not %s", status)
	}
	testenv.Backdate(t, testDB, ev.ID, time.Now().Add(-age))
	return ev.ID, uuid.MustParse(ds[0].ID)
}

// newClientWebhook is a user webhook of a client of its own.
func newClientWebhook(t *testing.T, w *hookflow.Webhook) uuid.UUID {
	t.Helper()
	w.ClientID = "c-" + testenv.RandomID(6)
	return uuid.MustParse(testenv.NewWebhook(t, testDB.Stores, w).ID)
}

func exists(t *testing.T, table, column string, id any) bool {
	t.Helper()
	var n int
	if err := testDB.DB.Pool().QueryRow(context.Background(), `SELECT count(*) FROM `+table+` WHERE `+column+` = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n > 0
}

func TestPurgeDeletesOnlySettledLogsPastRetentionAndResumesFromItsHeartbeat(t *testing.T) {
	webhookID := newClientWebhook(t, &hookflow.Webhook{})
	day := 24 * time.Hour
	var oldEvents []string
	var oldDeliveries []uuid.UUID
	for range 3 {
		e, d := seedDelivery(t, webhookID, 15*day, "succeeded", 2)
		oldEvents, oldDeliveries = append(oldEvents, e), append(oldDeliveries, d)
	}
	failedEvent, failedDelivery := seedDelivery(t, webhookID, 15*day, "failed", 3)
	oldEvents, oldDeliveries = append(oldEvents, failedEvent), append(oldDeliveries, failedDelivery)
	youngEvent, youngDelivery := seedDelivery(t, webhookID, 13*day, "succeeded", 1)
	retryingEvent, retryingDelivery := seedDelivery(t, webhookID, 15*day, "retrying", 2)

	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(activities.NewRetention(testDB.Stores.Retention))
	// A previous run of this activity got this far before its worker died.
	env.SetHeartbeatDetails(activities.PurgeProgress{Deliveries: 7, Attempts: 11})
	val, err := env.ExecuteActivity("Purge", activities.PurgeInput{Cutoff: time.Now().Add(-14 * day), BatchSize: 1, Budget: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var p activities.PurgeProgress
	if err := val.Get(&p); err != nil {
		t.Fatal(err)
	}
	if !p.Done || p.Deliveries != 7+4 || p.Attempts != 11+9 || p.Events != 4 {
		t.Errorf("progress = %+v, want the resumed counts plus 4 deliveries, 9 attempts, 4 events", p)
	}
	for i := range oldDeliveries {
		if exists(t, "deliveries", "id", oldDeliveries[i]) || exists(t, "attempts", "delivery_id", oldDeliveries[i]) || exists(t, "events", "id", oldEvents[i]) {
			t.Errorf("15-day-old settled delivery %s survived", oldDeliveries[i])
		}
	}
	if !exists(t, "deliveries", "id", youngDelivery) || !exists(t, "attempts", "delivery_id", youngDelivery) || !exists(t, "events", "id", youngEvent) {
		t.Error("a 13-day-old delivery was purged")
	}
	if !exists(t, "deliveries", "id", retryingDelivery) || !exists(t, "attempts", "delivery_id", retryingDelivery) || !exists(t, "events", "id", retryingEvent) {
		t.Error("a retrying delivery was purged")
	}
}

func TestPurgeCandidatesCountsWithoutDeleting(t *testing.T) {
	ctx := context.Background()
	webhookID := newClientWebhook(t, &hookflow.Webhook{})
	// A cutoff no other test's rows reach: 40 days.
	e, d := seedDelivery(t, webhookID, 41*24*time.Hour, "failed", 4)
	t.Cleanup(func() { _ = testDB.Stores.Events.DeleteEvent(ctx, e) }) // cascades
	counts, err := testDB.Stores.Retention.PurgeCandidates(ctx, time.Now().Add(-40*24*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if counts.Deliveries != 1 || counts.Attempts != 4 || counts.Events != 1 {
		t.Errorf("candidates = %+v, want 1 delivery, 4 attempts, 1 event", counts)
	}
	if !exists(t, "deliveries", "id", d) {
		t.Error("a dry run deleted")
	}
}
