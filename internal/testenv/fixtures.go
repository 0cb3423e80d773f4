package testenv

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/retry"
	"github.com/hookflow/hookflow/storage"
)

// Fixtures: tests build their rows through the stores, as the product does,
// so that a schema change breaks the stores' own tests and not every test
// that needs a webhook or a delivery.

// TestSecret is a well-formed signing secret for fixture webhooks.
const TestSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// NewWebhook creates w through the webhook store and returns it with its id.
// Unset fields get a user webhook of client "c" to every event at
// https://example.com, signed with TestSecret.
func NewWebhook(t testing.TB, s storage.Stores, w *hookflow.Webhook) *hookflow.Webhook {
	t.Helper()
	if w.Kind == "" {
		w.Kind = hookflow.KindUser
	}
	if w.ClientID == "" {
		w.ClientID = "c"
	}
	if w.URL == "" {
		w.URL = "https://example.com"
	}
	if len(w.Events) == 0 {
		w.Events = []string{hookflow.AllEvents}
	}
	if len(w.Secrets) == 0 {
		w.Secrets = []string{TestSecret}
	}
	if err := s.Webhooks.CreateWebhook(context.Background(), w); err != nil {
		t.Fatalf("create webhook: %v", err)
	}
	return w
}

// PublishEvent stores ev through the event store and returns the deliveries
// it fans out to; an event without data gets {}.
func PublishEvent(t testing.TB, s storage.Stores, ev *hookflow.Event, category string) []hookflow.Delivery {
	t.Helper()
	if ev.Data == nil {
		ev.Data = json.RawMessage(`{}`)
	}
	deliveries, _, err := s.Events.PublishEvent(context.Background(), ev, category)
	if err != nil {
		t.Fatalf("publish event %s: %v", ev.ID, err)
	}
	return deliveries
}

// RecordAttempt records a scheduled attempt through the delivery store. An
// attempt given no delivery status gets the one the retry rule gives a
// scheduled attempt, as the engine's would: success settles, a failure with
// a next retry is retrying, one without fails.
func RecordAttempt(t testing.TB, s storage.Stores, a *hookflow.Attempt) *hookflow.Attempt {
	t.Helper()
	if a.DeliveryStatus == "" {
		d, err := s.Deliveries.Delivery(context.Background(), a.DeliveryID)
		if err != nil {
			t.Fatalf("record attempt of %s: %v", a.DeliveryID, err)
		}
		o := retry.Outcome{Kind: hookflow.ScheduledAttempt, Success: a.Success, FinishedAt: time.Now()}
		if a.NextRetryAt != nil {
			delay := time.Until(*a.NextRetryAt)
			o.NextDelay = &delay
		}
		a.DeliveryStatus = retry.Status(d.Status, o)
	}
	if err := s.Deliveries.RecordAttempt(context.Background(), a, hookflow.ScheduledAttempt); err != nil {
		t.Fatalf("record attempt of %s: %v", a.DeliveryID, err)
	}
	return a
}

// RecordManualAttempt records a manual attempt through the delivery store,
// with the status the retry rule gives it when a has none: a success
// settles, a failure leaves the status (a pending delivery retrying) and the
// schedule as they were.
func RecordManualAttempt(t testing.TB, s storage.Stores, a *hookflow.Attempt) *hookflow.Attempt {
	t.Helper()
	if a.DeliveryStatus == "" {
		d, err := s.Deliveries.Delivery(context.Background(), a.DeliveryID)
		if err != nil {
			t.Fatalf("record manual attempt of %s: %v", a.DeliveryID, err)
		}
		a.DeliveryStatus = retry.Status(d.Status, retry.Outcome{Kind: hookflow.ManualAttempt, Success: a.Success, FinishedAt: time.Now()})
	}
	if err := s.Deliveries.RecordAttempt(context.Background(), a, hookflow.ManualAttempt); err != nil {
		t.Fatalf("record manual attempt of %s: %v", a.DeliveryID, err)
	}
	return a
}

// backdateEvent is the one place tests reach past the stores: no store
// writes a creation time, and retention can only be tested on old rows.
const backdateEvent = `
	WITH e AS (UPDATE events SET created_at = $2 WHERE id = $1),
	     d AS (UPDATE deliveries SET created_at = $2 WHERE event_id = $1 RETURNING id)
	UPDATE attempts SET created_at = $2 WHERE delivery_id IN (SELECT id FROM d)`

// Backdate dates an event, its deliveries and their attempts at at, as if
// it had been published then.
func Backdate(t testing.TB, db *Database, eventID string, at time.Time) {
	t.Helper()
	if _, err := db.DB.Pool().Exec(context.Background(), backdateEvent, eventID, at); err != nil {
		t.Fatalf("backdate event %s: %v", eventID, err)
	}
}

// SettleAttempts records n scheduled attempts of d through the delivery
// store that leave it with status: failures due again in an hour, then a
// last attempt that succeeds (succeeded), fails for good (failed) or fails
// due again (retrying). It returns the attempts in order.
func SettleAttempts(t testing.TB, s storage.Stores, d hookflow.Delivery, n int, status hookflow.DeliveryStatus) []*hookflow.Attempt {
	t.Helper()
	if n < 1 || status == hookflow.StatusPending {
		t.Fatalf("no %d attempts leave a delivery %s", n, status)
	}
	later := time.Now().Add(time.Hour)
	var out []*hookflow.Attempt
	for i := range n {
		a := &hookflow.Attempt{DeliveryID: d.ID, URL: d.URL, ResponseStatus: 503, NextRetryAt: &later}
		if i == n-1 {
			switch status {
			case hookflow.StatusSucceeded:
				a.ResponseStatus, a.Success, a.NextRetryAt = 200, true, nil
			case hookflow.StatusFailed:
				a.NextRetryAt = nil
			}
		}
		out = append(out, RecordAttempt(t, s, a))
	}
	got, err := s.Deliveries.Delivery(context.Background(), d.ID)
	if err != nil || got.Status != status {
		t.Fatalf("delivery after %d attempts = %+v, %v; want %s", n, got, err, status)
	}
	return out
}

// archiveWebhook archives a webhook directly: the product archives only
// organization subscriptions, through their lifecycle, and tests of what
// happens to the deliveries of an archived webhook need a plain one.
const archiveWebhook = `UPDATE webhooks SET archived_at = now() WHERE id = $1`

// ArchiveWebhook marks webhook id archived, as no store does for a webhook.
func ArchiveWebhook(t testing.TB, db *Database, id string) {
	t.Helper()
	if _, err := db.DB.Pool().Exec(context.Background(), archiveWebhook, id); err != nil {
		t.Fatalf("archive webhook %s: %v", id, err)
	}
}

// retypeDelivery gives a delivery an event type: no store changes the type
// of a stored delivery, and a delivery whose event type has since left the
// catalog can only be made so.
const retypeDelivery = `UPDATE deliveries SET event_type = $2 WHERE id = $1`

// RetypeDelivery sets the event type of delivery id to eventType, as if the
// catalog had retired the type the delivery was published with.
func RetypeDelivery(t testing.TB, db *Database, id, eventType string) {
	t.Helper()
	if _, err := db.DB.Pool().Exec(context.Background(), retypeDelivery, id, eventType); err != nil {
		t.Fatalf("retype delivery %s: %v", id, err)
	}
}

// SpoilSecrets leaves webhook id with a secret that cannot sign, as a
// hand-edited row might: "not-a-key", sealed as the stores seal, since they
// only ever store secrets they generated or validated.
func SpoilSecrets(t testing.TB, db *Database, id string) {
	t.Helper()
	ctx := context.Background()
	rows, err := db.DB.Pool().Query(ctx, `SELECT id FROM webhook_secrets WHERE webhook_id = $1`, id)
	if err != nil {
		t.Fatalf("spoil the secrets of webhook %s: %v", id, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[uuid.UUID])
	if err != nil {
		t.Fatalf("spoil the secrets of webhook %s: %v", id, err)
	}
	for _, secretID := range ids {
		sealed, err := db.Ring.Seal([]byte("not-a-key"), secretID[:])
		if err != nil {
			t.Fatal(err)
		}
		if _, err := db.DB.Pool().Exec(ctx, `UPDATE webhook_secrets SET sealed_secret = $2 WHERE id = $1`, secretID, sealed); err != nil {
			t.Fatalf("spoil the secrets of webhook %s: %v", id, err)
		}
	}
}
