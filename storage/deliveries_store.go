package storage

import (
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/sealing"
)

// DeliveryStore keeps deliveries and their attempts: what the delivery engine reads and records.
type DeliveryStore struct {
	pool *pgxpool.Pool
	ring *sealing.KeyRing // opens the webhook's secrets of a DeliveryTarget
}

// ErrDeliveryNotFound answers a delivery id that does not exist.
var ErrDeliveryNotFound = hookflow.ErrLogNotFound

const deliveryColumns = `d.id, d.event_id, d.webhook_id, d.event_type, coalesce(d.facility_id, ''), d.client_id,
	coalesce(w.organization_id, ''), d.url, d.status, d.attempt_count, d.next_retry_at, coalesce(d.failure_reason, ''), d.created_at, w.kind`

func scanDelivery(row pgx.Row, extra ...any) (hookflow.Delivery, error) {
	var d hookflow.Delivery
	var id, webhookID uuid.UUID
	dest := append([]any{&id, &d.EventID, &webhookID, &d.EventType, &d.FacilityID, &d.ClientID,
		&d.OrganizationID, &d.URL, &d.Status, &d.AttemptCount, &d.NextRetryAt, &d.FailureReason, &d.CreatedAt, &d.WebhookKind}, extra...)
	if err := row.Scan(dest...); err != nil {
		return d, err
	}
	d.ID, d.WebhookID = id.String(), webhookID.String()
	return d, nil
}

// Delivery loads one delivery.
func (s *DeliveryStore) Delivery(ctx context.Context, id string) (*hookflow.Delivery, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, ErrDeliveryNotFound
	}
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1`, uid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrDeliveryNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load delivery %s: %w", id, err)
	}
	return &d, nil
}

// DeliveryTarget loads, in one query, a delivery with its event, its
// webhook as it is now, deleted or not, so the attempt uses the current URL
// and signing secrets, and whether the catalog still has its event type in
// use.
func (s *DeliveryStore) DeliveryTarget(ctx context.Context, deliveryID string) (*hookflow.DeliveryTarget, error) {
	uid, err := uuid.Parse(deliveryID)
	if err != nil {
		return nil, ErrDeliveryNotFound
	}
	var t hookflow.DeliveryTarget
	var webhookID uuid.UUID
	var sealed sealedWebhook
	var health healthRow
	dest := append([]any{&t.Event.Data, &t.Event.CreatedAt, &t.Event.FacilityID, &t.Event.ClientID, &t.Event.OrganizationID, &t.EventTypeRetired},
		webhookDest(&t.Webhook, &webhookID, &sealed)...)
	dest = append(dest, health.dest()...)
	t.Delivery, err = scanDelivery(s.pool.QueryRow(ctx, `
		SELECT `+deliveryColumns+`, e.payload, e.created_at, coalesce(e.facility_id, ''), coalesce(e.client_id, ''), coalesce(e.organization_id, ''),
			NOT EXISTS (SELECT 1 FROM webhook_events ce JOIN webhook_categories cc ON cc.id = ce.category_id
				WHERE ce.code = d.event_type AND ce.active AND ce.archived_at IS NULL AND ce.deleted_at IS NULL
				  AND cc.active AND cc.archived_at IS NULL AND cc.deleted_at IS NULL),
			`+webhookColumns+`, `+healthColumns+`
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
			-- The endpoint's health comes with it: a healthy endpoint (no
			-- row) costs the attempt no round trip of its own.
			LEFT JOIN endpoint_health h ON h.webhook_id = d.webhook_id
		WHERE d.id = $1`, uid), dest...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrDeliveryNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load delivery %s: %w", deliveryID, err)
	}
	t.Event.ID, t.Event.EventType, t.Webhook.ID = t.Delivery.EventID, t.Delivery.EventType, webhookID.String()
	t.Health = health.health(t.Webhook.ID)
	if err := openWebhookSealed(s.ring, &t.Webhook, webhookID, sealed); err != nil {
		return nil, fmt.Errorf("load delivery %s: %w", deliveryID, err)
	}
	return &t, nil
}

// RecordAttempt stores an attempt, numbered after the delivery's last, and
// moves the delivery to the status the attempt gives (a.DeliveryStatus, from
// retry.Status), in one statement; a manual attempt leaves the delivery's
// next retry alone. Every attempt after a delivery's first
// is linked to the attempt before it (retryingFromPostId). An attempt with an ID completes the intent of that id
// (see BeginAttempt). Two attempts of one delivery racing for a number make
// the later fail on the unique number; its activity retries.
func (s *DeliveryStore) RecordAttempt(ctx context.Context, a *hookflow.Attempt, kind hookflow.AttemptKind) error {
	deliveryID, err := uuid.Parse(a.DeliveryID)
	if err != nil {
		return ErrDeliveryNotFound
	}
	attemptID := uuid.New()
	if a.ID != "" {
		// The attempt completes an intent and takes its id.
		if attemptID, err = uuid.Parse(a.ID); err != nil {
			return fmt.Errorf("attempt id %q: %w", a.ID, err)
		}
	}
	if a.DeliveryStatus == "" {
		return fmt.Errorf("record attempt of %s: no delivery status given", a.DeliveryID)
	}
	a.Manual = kind == hookflow.ManualAttempt
	if o := a.Endpoint; o != nil && !(o.Success && o.Healthy) {
		// The outcome moves the endpoint's health: both or neither.
		return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			if err := recordAttempt(ctx, tx, a, deliveryID, attemptID); err != nil {
				return err
			}
			changed, err := recordOutcome(ctx, tx, *o)
			o.Changed = changed
			return err
		})
	}
	return recordAttempt(ctx, s.pool, a, deliveryID, attemptID)
}

// recordAttempt is RecordAttempt's statement, on a pool or a transaction.
func recordAttempt(ctx context.Context, q querier, a *hookflow.Attempt, deliveryID, attemptID uuid.UUID) error {
	var retryingFrom *uuid.UUID
	err := q.QueryRow(ctx, `
		WITH d AS (
			SELECT id, retrying_from_id FROM deliveries WHERE id = $1 FOR UPDATE
		), last AS (
			SELECT a.id, a.attempt_number FROM attempts a WHERE a.delivery_id = $1 ORDER BY a.attempt_number DESC LIMIT 1
		), ins AS (
			INSERT INTO attempts (id, delivery_id, attempt_number, retrying_from_id, manual, url, response_status,
			                      response_body, error, duration_ms, success, next_retry_at, created_at,
			                      request_body, request_headers, webhook_timestamp, sealed_custom_headers)
			SELECT $2, d.id, coalesce((SELECT attempt_number FROM last), 0) + 1,
			       -- Every attempt after the first retries the one before; a
			       -- first attempt may retry a post the delivery was added for.
			       coalesce((SELECT id FROM last), d.retrying_from_id), $3, $4, nullif($5, 0), $6, nullif($7, ''), $8, $9, $10,
			       -- An attempt is dated when it began, however late it is recorded.
			       coalesce(i.created_at, now()), i.request_body, i.request_headers, i.webhook_timestamp, i.sealed_custom_headers
			FROM d LEFT JOIN attempt_intents i ON i.id = $2
			RETURNING attempt_number, retrying_from_id, created_at
		), upd AS (
			UPDATE deliveries SET
				attempt_count = (SELECT attempt_number FROM ins),
				last_status = nullif($5, 0),
				-- The status the attempt was given, except that a delivery
				-- that succeeded stays so: the caller read the status before
				-- its POST, and a receiver's outcome (an activity post) may
				-- have settled the delivery meanwhile.
				status = CASE WHEN status = 'succeeded' THEN status ELSE $11 END,
				next_retry_at = CASE WHEN $9 THEN NULL WHEN $3 THEN next_retry_at ELSE $10::timestamptz END,
				updated_at = now()
			WHERE id = (SELECT id FROM d)
		), done AS (
			UPDATE attempt_intents SET completed_at = now() WHERE id = $2 AND completed_at IS NULL
		)
		SELECT attempt_number, retrying_from_id, created_at FROM ins`,
		deliveryID, attemptID, a.Manual, a.URL, a.ResponseStatus, a.ResponseBody, a.Error,
		a.Duration.Milliseconds(), a.Success, a.NextRetryAt, a.DeliveryStatus,
	).Scan(&a.Number, &retryingFrom, &a.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrDeliveryNotFound
	}
	if err != nil {
		return fmt.Errorf("record attempt of %s: %w", a.DeliveryID, err)
	}
	a.ID = attemptID.String()
	if retryingFrom != nil {
		a.RetryingFromID = retryingFrom.String()
	}
	return nil
}

// FailDelivery ends a delivery that can no longer be attempted.
func (s *DeliveryStore) FailDelivery(ctx context.Context, deliveryID, reason string) error {
	uid, err := uuid.Parse(deliveryID)
	if err != nil {
		return ErrDeliveryNotFound
	}
	_, err = s.pool.Exec(ctx, `UPDATE deliveries SET status = CASE WHEN status = 'succeeded' THEN status ELSE 'failed' END,
		next_retry_at = NULL, failure_reason = $2, updated_at = now() WHERE id = $1`, uid, reason)
	if err != nil {
		return fmt.Errorf("fail delivery %s: %w", deliveryID, err)
	}
	return nil
}

// Attempt loads one attempt.
func (s *DeliveryStore) Attempt(ctx context.Context, id string) (*hookflow.Attempt, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, hookflow.Errorf(hookflow.ENOTFOUND, "Attempt not found")
	}
	a, err := scanAttempt(s.pool.QueryRow(ctx, `SELECT `+attemptColumns+` FROM attempts a WHERE a.id = $1`, uid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.Errorf(hookflow.ENOTFOUND, "Attempt not found")
	}
	if err != nil {
		return nil, fmt.Errorf("load attempt %s: %w", id, err)
	}
	return a, nil
}

// Attempts lists a delivery's attempts in order, each with the request it
// sent when that was recorded (custom headers opened, for their owner).
func (s *DeliveryStore) Attempts(ctx context.Context, deliveryID string) ([]*hookflow.Attempt, error) {
	uid, err := uuid.Parse(deliveryID)
	if err != nil {
		return nil, ErrDeliveryNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT `+attemptColumns+`, a.request_body, a.request_headers, coalesce(a.webhook_timestamp, 0), a.sealed_custom_headers
		FROM attempts a WHERE a.delivery_id = $1 ORDER BY a.attempt_number`, uid)
	if err != nil {
		return nil, fmt.Errorf("list attempts of %s: %w", deliveryID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*hookflow.Attempt, error) {
		var body, sealed *string
		var headers map[string]string
		var timestamp int64
		a, err := scanAttempt(row, &body, &headers, &timestamp, &sealed)
		if err != nil || body == nil { // attempts made before requests were recorded
			return a, err
		}
		custom, err := openRecordedHeaders(s.ring, uid, sealed)
		if err != nil {
			return nil, err
		}
		a.Request = &hookflow.SentRequest{Body: []byte(*body), Headers: headers, Timestamp: timestamp, CustomHeaders: custom}
		return a, nil
	})
	if err != nil {
		return nil, fmt.Errorf("list attempts of %s: %w", deliveryID, err)
	}
	return out, nil
}

const attemptColumns = `a.id, a.delivery_id, a.attempt_number, a.retrying_from_id, a.manual, a.url, coalesce(a.response_status, 0),
	coalesce(a.response_body, ''), coalesce(a.error, ''), a.duration_ms, a.success, a.next_retry_at, a.created_at`

// scanAttempt reads attemptColumns, then any extra columns into extra.
func scanAttempt(row pgx.Row, extra ...any) (*hookflow.Attempt, error) {
	var a hookflow.Attempt
	var id, deliveryID uuid.UUID
	var retryingFrom *uuid.UUID
	var durationMs int64
	err := row.Scan(append([]any{&id, &deliveryID, &a.Number, &retryingFrom, &a.Manual, &a.URL, &a.ResponseStatus,
		&a.ResponseBody, &a.Error, &durationMs, &a.Success, &a.NextRetryAt, &a.CreatedAt}, extra...)...)
	if err != nil {
		return nil, err
	}
	a.ID, a.DeliveryID, a.Duration = id.String(), deliveryID.String(), time.Duration(durationMs)*time.Millisecond
	if retryingFrom != nil {
		a.RetryingFromID = retryingFrom.String()
	}
	return &a, nil
}

// UnsettledDeliveries lists the ids of a webhook's deliveries that may still
// make attempts.
func (s *DeliveryStore) UnsettledDeliveries(ctx context.Context, webhookID string) ([]string, error) {
	uid, err := uuid.Parse(webhookID)
	if err != nil {
		return nil, hookflow.ErrWebhookNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT id::text FROM deliveries WHERE webhook_id = $1 AND status IN ('pending', 'retrying')`, uid)
	if err != nil {
		return nil, fmt.Errorf("list unsettled deliveries of %s: %w", webhookID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list unsettled deliveries of %s: %w", webhookID, err)
	}
	return ids, nil
}
