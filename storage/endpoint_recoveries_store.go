package storage

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookflow/hookflow"
)

// RecoveryStore keeps an endpoint's bulk recovers: the request, the
// deliveries it matches, page by page, and its progress.
type RecoveryStore struct {
	pool *pgxpool.Pool
}

const recoveryColumns = `r.id, r.webhook_id, coalesce(r.idempotency_key, ''), r.state, r.since, r.until, coalesce(r.event_type, ''),
	coalesce(r.status, ''), r.found, r.redriven, r.woken, r.skipped, r.errors, r.cursor_created, r.cursor_id,
	coalesce(r.failure_reason, ''), r.created_at, r.completed_at`

func scanRecovery(row pgx.Row) (*hookflow.Recovery, error) {
	var r hookflow.Recovery
	var id, webhookID uuid.UUID
	var cursorAt *time.Time
	var cursorID *uuid.UUID
	err := row.Scan(&id, &webhookID, &r.IdempotencyKey, &r.State, &r.Since, &r.Until, &r.EventType, &r.Status, &r.Found,
		&r.Redriven, &r.Woken, &r.Skipped, &r.Errors, &cursorAt, &cursorID, &r.FailureReason, &r.CreatedAt, &r.CompletedAt)
	if err != nil {
		return nil, err
	}
	r.ID, r.WebhookID = id.String(), webhookID.String()
	if cursorAt != nil && cursorID != nil {
		r.Cursor = &hookflow.RecoveryCursor{CreatedAt: *cursorAt, ID: cursorID.String()}
	}
	return &r, nil
}

// recoveryMatch is the condition on deliveries d that a recover r matches:
// its webhook, its window, its event type and status (failed and retrying
// when it names none).
const recoveryMatch = `d.webhook_id = r.webhook_id AND d.created_at >= r.since AND d.created_at < r.until
	AND (r.event_type IS NULL OR d.event_type = r.event_type)
	AND d.status IN ('failed', 'retrying') AND (r.status IS NULL OR d.status = r.status)`

// CreateRecovery stores a recover with how many deliveries it matches now.
// With an idempotency key already used on the webhook it stores nothing
// and returns that recover; created says which.
func (s *RecoveryStore) CreateRecovery(ctx context.Context, req hookflow.RecoveryRequest) (*hookflow.Recovery, bool, error) {
	webhookID, err := uuid.Parse(req.WebhookID)
	if err != nil {
		return nil, false, hookflow.ErrWebhookNotFound
	}
	rec, err := scanRecovery(s.pool.QueryRow(ctx, `
		WITH r AS (
			SELECT $1::uuid AS webhook_id, $3::timestamptz AS since, $4::timestamptz AS until,
			       nullif($5, '') AS event_type, nullif($6, '') AS status
		), ins AS (
			INSERT INTO endpoint_recoveries (webhook_id, idempotency_key, since, until, event_type, status, created_by, found)
			SELECT r.webhook_id, nullif($2, ''), r.since, r.until, r.event_type, r.status, $7,
			       (SELECT count(*) FROM deliveries d WHERE `+recoveryMatch+`)
			FROM r
			ON CONFLICT (webhook_id, idempotency_key) DO NOTHING
			RETURNING *
		)
		SELECT `+recoveryColumns+` FROM ins r`,
		webhookID, req.IdempotencyKey, req.Since, req.Until, req.EventType, string(req.Status), req.CreatedBy))
	if err == nil {
		return rec, true, nil
	}
	if !errors.Is(err, pgx.ErrNoRows) {
		return nil, false, fmt.Errorf("create recovery of %s: %w", req.WebhookID, unstorable(err))
	}
	// The key was used before: that recover is this one.
	rec, err = scanRecovery(s.pool.QueryRow(ctx, `SELECT `+recoveryColumns+` FROM endpoint_recoveries r
		WHERE r.webhook_id = $1 AND r.idempotency_key = $2`, webhookID, req.IdempotencyKey))
	if err != nil {
		return nil, false, fmt.Errorf("load recovery of %s by key: %w", req.WebhookID, err)
	}
	return rec, false, nil
}

// Recovery loads a recover of a webhook.
func (s *RecoveryStore) Recovery(ctx context.Context, webhookID, id string) (*hookflow.Recovery, error) {
	wid, err1 := uuid.Parse(webhookID)
	rid, err2 := uuid.Parse(id)
	if err1 != nil || err2 != nil {
		return nil, hookflow.ErrRecoveryNotFound
	}
	rec, err := scanRecovery(s.pool.QueryRow(ctx, `SELECT `+recoveryColumns+` FROM endpoint_recoveries r
		WHERE r.id = $1 AND r.webhook_id = $2`, rid, wid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrRecoveryNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load recovery %s: %w", id, err)
	}
	return rec, nil
}

// DeleteRecovery forgets a recover whose workflow could not start.
func (s *RecoveryStore) DeleteRecovery(ctx context.Context, id string) error {
	rid, err := uuid.Parse(id)
	if err != nil {
		return hookflow.ErrRecoveryNotFound
	}
	if _, err := s.pool.Exec(ctx, `DELETE FROM endpoint_recoveries WHERE id = $1`, rid); err != nil {
		return fmt.Errorf("delete recovery %s: %w", id, err)
	}
	return nil
}

// RecoveryBatch loads a recover as it stands and the next at most limit
// deliveries it matches after its cursor, oldest first.
func (s *RecoveryStore) RecoveryBatch(ctx context.Context, id string, limit int) (*hookflow.Recovery, []hookflow.Delivery, error) {
	rid, err := uuid.Parse(id)
	if err != nil {
		return nil, nil, hookflow.ErrRecoveryNotFound
	}
	rec, err := scanRecovery(s.pool.QueryRow(ctx, `SELECT `+recoveryColumns+` FROM endpoint_recoveries r WHERE r.id = $1`, rid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil, hookflow.ErrRecoveryNotFound
	}
	if err != nil {
		return nil, nil, fmt.Errorf("load recovery %s: %w", id, err)
	}
	rows, err := s.pool.Query(ctx, `
		SELECT `+deliveryColumns+`
		FROM endpoint_recoveries r
		JOIN deliveries d ON `+recoveryMatch+`
		JOIN webhooks w ON w.id = d.webhook_id
		WHERE r.id = $1 AND (r.cursor_created IS NULL OR (d.created_at, d.id) > (r.cursor_created, r.cursor_id))
		ORDER BY d.created_at, d.id
		LIMIT $2`, rid, limit)
	if err != nil {
		return nil, nil, fmt.Errorf("page recovery %s: %w", id, err)
	}
	deliveries, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Delivery, error) { return scanDelivery(row) })
	if err != nil {
		return nil, nil, fmt.Errorf("page recovery %s: %w", id, err)
	}
	return rec, deliveries, nil
}

// AdvanceRecovery adds a batch's progress and moves the cursor from where
// the batch started to its last delivery, completing the recover when done.
// A batch applied already (its activity retried after the write) finds the
// cursor moved and changes nothing, so nothing is counted twice.
func (s *RecoveryStore) AdvanceRecovery(ctx context.Context, id string, from, to *hookflow.RecoveryCursor, p hookflow.RecoveryProgress, done bool) error {
	rid, err := uuid.Parse(id)
	if err != nil {
		return hookflow.ErrRecoveryNotFound
	}
	var fromAt, toAt *time.Time
	var fromID, toID *string
	if from != nil {
		fromAt, fromID = &from.CreatedAt, &from.ID
	}
	if to != nil {
		toAt, toID = &to.CreatedAt, &to.ID
	}
	_, err = s.pool.Exec(ctx, `
		UPDATE endpoint_recoveries SET
			redriven = redriven + $4, woken = woken + $5, skipped = skipped + $6, errors = errors + $7,
			cursor_created = coalesce($8, cursor_created), cursor_id = coalesce($9::uuid, cursor_id),
			state = CASE WHEN $10 THEN 'completed' ELSE state END,
			completed_at = CASE WHEN $10 THEN now() ELSE completed_at END
		WHERE id = $1 AND state = 'running'
		  AND cursor_created IS NOT DISTINCT FROM $2 AND cursor_id IS NOT DISTINCT FROM $3::uuid`,
		rid, fromAt, fromID, p.Redriven, p.Woken, p.Skipped, p.Errors, toAt, toID, done)
	if err != nil {
		return fmt.Errorf("advance recovery %s: %w", id, err)
	}
	return nil
}

// FailRecovery ends a running recover as failed, with the reason.
func (s *RecoveryStore) FailRecovery(ctx context.Context, id, reason string) error {
	rid, err := uuid.Parse(id)
	if err != nil {
		return hookflow.ErrRecoveryNotFound
	}
	_, err = s.pool.Exec(ctx, `UPDATE endpoint_recoveries SET state = 'failed', failure_reason = $2, completed_at = now()
		WHERE id = $1 AND state = 'running'`, rid, reason)
	if err != nil {
		return fmt.Errorf("fail recovery %s: %w", id, err)
	}
	return nil
}
