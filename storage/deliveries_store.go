package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// ErrDeliveryNotFound answers a delivery id that does not exist.
var ErrDeliveryNotFound = hookflow.ErrLogNotFound

const deliveryColumns = `d.id, d.event_id, d.webhook_id, d.event_type, coalesce(d.facility_id, ''), d.client_id,
	coalesce(w.organization_id, ''), d.url, d.status, d.attempt_count, d.next_retry_at, coalesce(d.failure_reason, ''), d.created_at`

func scanDelivery(row pgx.Row, extra ...any) (hookflow.Delivery, error) {
	var d hookflow.Delivery
	var id, webhookID uuid.UUID
	dest := append([]any{&id, &d.EventID, &webhookID, &d.EventType, &d.FacilityID, &d.ClientID,
		&d.OrganizationID, &d.URL, &d.Status, &d.AttemptCount, &d.NextRetryAt, &d.FailureReason, &d.CreatedAt}, extra...)
	if err := row.Scan(dest...); err != nil {
		return d, err
	}
	d.ID, d.WebhookID = id.String(), webhookID.String()
	return d, nil
}

// Delivery loads one delivery.
func (db *DB) Delivery(ctx context.Context, id string) (*hookflow.Delivery, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, ErrDeliveryNotFound
	}
	d, err := scanDelivery(db.pool.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id WHERE d.id = $1`, uid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrDeliveryNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load delivery %s: %w", id, err)
	}
	return &d, nil
}

// DeliveryTarget loads a delivery with its event and its webhook as it is
// now, deleted or not, so the attempt uses the current URL and secrets.
func (db *DB) DeliveryTarget(ctx context.Context, deliveryID string) (*hookflow.DeliveryTarget, error) {
	uid, err := uuid.Parse(deliveryID)
	if err != nil {
		return nil, ErrDeliveryNotFound
	}
	var t hookflow.DeliveryTarget
	t.Delivery, err = scanDelivery(db.pool.QueryRow(ctx, `
		SELECT `+deliveryColumns+`, e.payload, e.created_at, coalesce(e.facility_id, ''), coalesce(e.client_id, ''), coalesce(e.organization_id, '')
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
		WHERE d.id = $1`, uid), &t.Event.Data, &t.Event.CreatedAt, &t.Event.FacilityID, &t.Event.ClientID, &t.Event.OrganizationID)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrDeliveryNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load delivery %s: %w", deliveryID, err)
	}
	t.Event.ID, t.Event.EventType = t.Delivery.EventID, t.Delivery.EventType
	w, err := db.WebhookIncludingDeleted(ctx, t.Delivery.WebhookID)
	if err != nil {
		return nil, err
	}
	t.Webhook = *w
	return &t, nil
}

// RecordAttempt stores an attempt, numbering it after the delivery's last,
// and moves the delivery's status in the same transaction: success settles
// it; a scheduled failure is retrying with a NextRetryAt, failed without;
// a manual failure leaves the schedule alone. A manual attempt is linked to
// the attempt it retries.
func (db *DB) RecordAttempt(ctx context.Context, a *hookflow.Attempt, kind hookflow.AttemptKind) error {
	deliveryID, err := uuid.Parse(a.DeliveryID)
	if err != nil {
		return ErrDeliveryNotFound
	}
	attemptID := uuid.New()
	return pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		// Locking the delivery row serialises attempts of one delivery.
		var lastID *uuid.UUID
		var lastNumber int
		err := tx.QueryRow(ctx, `
			SELECT (SELECT a.id FROM attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt_number DESC LIMIT 1),
			       coalesce((SELECT max(a.attempt_number) FROM attempts a WHERE a.delivery_id = d.id), 0)
			FROM deliveries d WHERE d.id = $1 FOR UPDATE`, deliveryID).Scan(&lastID, &lastNumber)
		if errors.Is(err, pgx.ErrNoRows) {
			return ErrDeliveryNotFound
		}
		if err != nil {
			return fmt.Errorf("lock delivery %s: %w", a.DeliveryID, err)
		}
		a.ID, a.Number, a.Manual = attemptID.String(), lastNumber+1, kind == hookflow.ManualAttempt
		var retryingFrom *uuid.UUID
		if a.Manual && lastID != nil {
			retryingFrom = lastID
			a.RetryingFromID = lastID.String()
		}
		err = tx.QueryRow(ctx, `
			INSERT INTO attempts (id, delivery_id, attempt_number, retrying_from_id, manual, url, response_status,
			                      response_body, error, duration_ms, success, next_retry_at)
			VALUES ($1, $2, $3, $4, $5, $6, nullif($7, 0), $8, nullif($9, ''), $10, $11, $12)
			RETURNING created_at`,
			attemptID, deliveryID, a.Number, retryingFrom, a.Manual, a.URL, a.ResponseStatus,
			a.ResponseBody, a.Error, a.Duration.Milliseconds(), a.Success, a.NextRetryAt).Scan(&a.CreatedAt)
		if err != nil {
			return fmt.Errorf("insert attempt: %w", err)
		}
		_, err = tx.Exec(ctx, `
			UPDATE deliveries SET
				attempt_count = $2,
				last_status = nullif($3, 0),
				status = CASE
					WHEN $4 OR status = 'succeeded' THEN 'succeeded'
					WHEN $5 THEN CASE WHEN status = 'pending' THEN 'retrying' ELSE status END
					WHEN $6::timestamptz IS NOT NULL THEN 'retrying'
					ELSE 'failed' END,
				next_retry_at = CASE WHEN $4 THEN NULL WHEN $5 THEN next_retry_at ELSE $6 END,
				updated_at = now()
			WHERE id = $1`,
			deliveryID, a.Number, a.ResponseStatus, a.Success, a.Manual, a.NextRetryAt)
		if err != nil {
			return fmt.Errorf("update delivery %s: %w", a.DeliveryID, err)
		}
		return nil
	})
}

// FailDelivery ends a delivery that can no longer be attempted.
func (db *DB) FailDelivery(ctx context.Context, deliveryID, reason string) error {
	uid, err := uuid.Parse(deliveryID)
	if err != nil {
		return ErrDeliveryNotFound
	}
	_, err = db.pool.Exec(ctx, `UPDATE deliveries SET status = CASE WHEN status = 'succeeded' THEN status ELSE 'failed' END,
		next_retry_at = NULL, failure_reason = $2, updated_at = now() WHERE id = $1`, uid, reason)
	if err != nil {
		return fmt.Errorf("fail delivery %s: %w", deliveryID, err)
	}
	return nil
}

// Attempt loads one attempt.
func (db *DB) Attempt(ctx context.Context, id string) (*hookflow.Attempt, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return nil, hookflow.Errorf(hookflow.ENOTFOUND, "Attempt not found")
	}
	a, err := scanAttempt(db.pool.QueryRow(ctx, `SELECT `+attemptColumns+` FROM attempts a WHERE a.id = $1`, uid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.Errorf(hookflow.ENOTFOUND, "Attempt not found")
	}
	if err != nil {
		return nil, fmt.Errorf("load attempt %s: %w", id, err)
	}
	return a, nil
}

// Attempts lists a delivery's attempts in order.
func (db *DB) Attempts(ctx context.Context, deliveryID string) ([]*hookflow.Attempt, error) {
	uid, err := uuid.Parse(deliveryID)
	if err != nil {
		return nil, ErrDeliveryNotFound
	}
	rows, err := db.pool.Query(ctx, `SELECT `+attemptColumns+` FROM attempts a WHERE a.delivery_id = $1 ORDER BY a.attempt_number`, uid)
	if err != nil {
		return nil, fmt.Errorf("list attempts of %s: %w", deliveryID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*hookflow.Attempt, error) { return scanAttempt(row) })
	if err != nil {
		return nil, fmt.Errorf("list attempts of %s: %w", deliveryID, err)
	}
	return out, nil
}

const attemptColumns = `a.id, a.delivery_id, a.attempt_number, a.retrying_from_id, a.manual, a.url, coalesce(a.response_status, 0),
	coalesce(a.response_body, ''), coalesce(a.error, ''), a.duration_ms, a.success, a.next_retry_at, a.created_at`

func scanAttempt(row pgx.Row) (*hookflow.Attempt, error) {
	var a hookflow.Attempt
	var id, deliveryID uuid.UUID
	var retryingFrom *uuid.UUID
	var durationMs int64
	err := row.Scan(&id, &deliveryID, &a.Number, &retryingFrom, &a.Manual, &a.URL, &a.ResponseStatus,
		&a.ResponseBody, &a.Error, &durationMs, &a.Success, &a.NextRetryAt, &a.CreatedAt)
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
func (db *DB) UnsettledDeliveries(ctx context.Context, webhookID string) ([]string, error) {
	uid, err := uuid.Parse(webhookID)
	if err != nil {
		return nil, hookflow.ErrWebhookNotFound
	}
	rows, err := db.pool.Query(ctx, `SELECT id::text FROM deliveries WHERE webhook_id = $1 AND status IN ('pending', 'retrying')`, uid)
	if err != nil {
		return nil, fmt.Errorf("list unsettled deliveries of %s: %w", webhookID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list unsettled deliveries of %s: %w", webhookID, err)
	}
	return ids, nil
}
