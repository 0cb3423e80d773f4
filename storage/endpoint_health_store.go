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

// An endpoint's health is its one row in endpoint_health (see the README's
// "Endpoint health"): every attempt reads it with its DeliveryTarget, the
// gate claims the half-open probe and reserves rate-limit slots on it, and
// an outcome moves it in the transaction that records the attempt. A
// healthy endpoint has no row and costs no write.

// healthColumns are the endpoint_health columns a DeliveryTarget reads, all
// NULL when the endpoint has no row (LEFT JOIN h).
const healthColumns = `h.webhook_id, h.state, h.consecutive_failures, h.failing_since, h.threshold_notified, h.opened_at,
	h.probe_at, h.cooldown_ms, h.probe_delivery_id, h.probe_lease_until, h.disabled_at, h.disabled_reason,
	h.last_success_at, h.last_failure_at`

// healthRow scans healthColumns, each nullable.
type healthRow struct {
	webhookID, probeDelivery                                *uuid.UUID
	state, disabledReason                                   *string
	failures, notified                                      *int
	cooldownMs                                              *int64
	failingSince, openedAt, probeAt, leaseUntil, disabledAt *time.Time
	lastSuccess, lastFailure                                *time.Time
}

func (r *healthRow) dest() []any {
	return []any{&r.webhookID, &r.state, &r.failures, &r.failingSince, &r.notified, &r.openedAt,
		&r.probeAt, &r.cooldownMs, &r.probeDelivery, &r.leaseUntil, &r.disabledAt, &r.disabledReason,
		&r.lastSuccess, &r.lastFailure}
}

// health is the row scanned, nil when there was none.
func (r *healthRow) health(webhookID string) *hookflow.EndpointHealth {
	if r.webhookID == nil {
		return nil
	}
	h := &hookflow.EndpointHealth{WebhookID: webhookID, State: hookflow.EndpointState(*r.state), ConsecutiveFailures: *r.failures,
		FailingSince: r.failingSince, OpenedAt: r.openedAt, ProbeAt: r.probeAt, DisabledAt: r.disabledAt,
		LastSuccessAt: r.lastSuccess, LastFailureAt: r.lastFailure, Cooldown: time.Duration(*r.cooldownMs) * time.Millisecond,
		ProbeLeaseUntil: r.leaseUntil, ThresholdNotified: *r.notified}
	if r.disabledReason != nil {
		h.DisabledReason = *r.disabledReason
	}
	if r.probeDelivery != nil {
		h.ProbeDeliveryID = r.probeDelivery.String()
	}
	return h
}

// EndpointHealth loads an endpoint's health; nil when it has no row (healthy).
func (s *DeliveryStore) EndpointHealth(ctx context.Context, webhookID string) (*hookflow.EndpointHealth, error) {
	uid, err := uuid.Parse(webhookID)
	if err != nil {
		return nil, hookflow.ErrWebhookNotFound
	}
	var r healthRow
	err = s.pool.QueryRow(ctx, `SELECT `+healthColumns+` FROM endpoint_health h WHERE h.webhook_id = $1`, uid).Scan(r.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load health of endpoint %s: %w", webhookID, err)
	}
	return r.health(webhookID), nil
}

// ClaimProbe makes deliveryID the half-open probe of an open endpoint whose
// probe is due, or of a half-open one whose probe's lease ran out (its
// worker died), until now+lease. One UPDATE decides it: of deliveries
// racing for the probe, exactly one wins (PostgreSQL re-checks the WHERE on
// the locked row). The holder claiming again (its step run twice) wins.
func (s *DeliveryStore) ClaimProbe(ctx context.Context, webhookID, deliveryID string, now time.Time, lease time.Duration) (bool, error) {
	wid, err := uuid.Parse(webhookID)
	if err != nil {
		return false, hookflow.ErrWebhookNotFound
	}
	did, err := uuid.Parse(deliveryID)
	if err != nil {
		return false, ErrDeliveryNotFound
	}
	tag, err := s.pool.Exec(ctx, `UPDATE endpoint_health SET state = 'half_open', probe_delivery_id = $2,
			probe_lease_until = $3::timestamptz + $4 * interval '1 microsecond', updated_at = now()
		WHERE webhook_id = $1 AND (
			(state = 'open' AND probe_at <= $3)
			OR (state = 'half_open' AND (probe_lease_until IS NULL OR probe_lease_until <= $3 OR probe_delivery_id = $2)))`,
		wid, did, now, lease.Microseconds())
	if err != nil {
		return false, fmt.Errorf("claim the probe of endpoint %s: %w", webhookID, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReserveSlot reserves the next start slot of a rate-limited endpoint: now
// or, when others hold later ones, spacing after the last reserved. One
// statement (an upsert that locks the row), so concurrent attempts never
// share a slot.
func (s *DeliveryStore) ReserveSlot(ctx context.Context, webhookID string, now time.Time, spacing time.Duration) (time.Time, error) {
	wid, err := uuid.Parse(webhookID)
	if err != nil {
		return time.Time{}, hookflow.ErrWebhookNotFound
	}
	var slot time.Time
	err = s.pool.QueryRow(ctx, `INSERT INTO endpoint_health (webhook_id, next_slot_at) VALUES ($1, $2::timestamptz + $3 * interval '1 microsecond')
		ON CONFLICT (webhook_id) DO UPDATE SET
			next_slot_at = greatest(endpoint_health.next_slot_at, $2::timestamptz) + $3 * interval '1 microsecond'
		RETURNING next_slot_at - $3 * interval '1 microsecond'`, wid, now, spacing.Microseconds()).Scan(&slot)
	if isForeignKeyViolation(err) {
		return time.Time{}, hookflow.ErrWebhookNotFound
	}
	if err != nil {
		return time.Time{}, fmt.Errorf("reserve a slot of endpoint %s: %w", webhookID, err)
	}
	return slot, nil
}

// PauseDelivery shows when a delivery paused by its endpoint attempts next.
func (s *DeliveryStore) PauseDelivery(ctx context.Context, deliveryID string, until time.Time) error {
	uid, err := uuid.Parse(deliveryID)
	if err != nil {
		return ErrDeliveryNotFound
	}
	_, err = s.pool.Exec(ctx, `UPDATE deliveries SET next_retry_at = $2, updated_at = now()
		WHERE id = $1 AND status IN ('pending', 'retrying') AND next_retry_at IS DISTINCT FROM $2`, uid, until)
	if err != nil {
		return fmt.Errorf("pause delivery %s: %w", deliveryID, err)
	}
	return nil
}

// recordOutcome moves the endpoint's health by an attempt's outcome, on the
// row locked for the transaction, and records each change of its state.
// It reports whether the state changed.
func recordOutcome(ctx context.Context, tx pgx.Tx, o hookflow.EndpointOutcome) (bool, error) {
	wid, err := uuid.Parse(o.WebhookID)
	if err != nil {
		return false, hookflow.ErrWebhookNotFound
	}
	if !o.Success {
		// A failure needs the row; a success with none has nothing to reset.
		if _, err := tx.Exec(ctx, `INSERT INTO endpoint_health (webhook_id) VALUES ($1) ON CONFLICT (webhook_id) DO NOTHING`, wid); err != nil {
			return false, fmt.Errorf("health of endpoint %s: %w", o.WebhookID, err)
		}
	}
	var r healthRow
	err = tx.QueryRow(ctx, `SELECT `+healthColumns+` FROM endpoint_health h WHERE h.webhook_id = $1 FOR UPDATE`, wid).Scan(r.dest()...)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("health of endpoint %s: %w", o.WebhookID, err)
	}
	h := r.health(o.WebhookID)
	if o.Success && h.Healthy() {
		return false, nil
	}
	next, changes := hookflow.NextHealth(*h, o)
	_, err = tx.Exec(ctx, `UPDATE endpoint_health SET state = $2, consecutive_failures = $3, failing_since = $4,
			threshold_notified = $5, opened_at = $6, probe_at = $7, cooldown_ms = $8, probe_delivery_id = $9,
			probe_lease_until = $10, disabled_at = $11, disabled_reason = nullif($12, ''), last_success_at = $13,
			last_failure_at = $14, updated_at = now()
		WHERE webhook_id = $1`,
		wid, string(next.State), next.ConsecutiveFailures, next.FailingSince, next.ThresholdNotified, next.OpenedAt,
		next.ProbeAt, next.Cooldown.Milliseconds(), nullUUID(next.ProbeDeliveryID), next.ProbeLeaseUntil, next.DisabledAt,
		next.DisabledReason, next.LastSuccessAt, next.LastFailureAt)
	if err != nil {
		return false, fmt.Errorf("move health of endpoint %s: %w", o.WebhookID, err)
	}
	for _, c := range changes {
		if _, err := tx.Exec(ctx, `INSERT INTO endpoint_state_changes (webhook_id, kind, threshold, reason, actor)
			VALUES ($1, $2, nullif($3, 0), nullif($4, ''), $5)`, wid, string(c.Kind), c.Threshold, c.Reason, hookflow.EngineActor); err != nil {
			return false, fmt.Errorf("record a change of endpoint %s: %w", o.WebhookID, err)
		}
	}
	return len(changes) > 0, nil
}

// nullUUID is a uuid column's value for id, NULL for "".
func nullUUID(id string) *uuid.UUID {
	if id == "" {
		return nil
	}
	u, err := uuid.Parse(id)
	if err != nil {
		return nil
	}
	return &u
}

// EndpointChanges lists an endpoint's recorded changes, newest first.
func (s *DeliveryStore) EndpointChanges(ctx context.Context, webhookID string) ([]hookflow.EndpointChange, error) {
	wid, err := uuid.Parse(webhookID)
	if err != nil {
		return nil, hookflow.ErrWebhookNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT id::text, webhook_id::text, kind, coalesce(threshold, 0), coalesce(reason, ''), actor, created_at, published_at
		FROM endpoint_state_changes WHERE webhook_id = $1 ORDER BY created_at DESC, id`, wid)
	if err != nil {
		return nil, fmt.Errorf("list changes of endpoint %s: %w", webhookID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.EndpointChange, error) {
		var c hookflow.EndpointChange
		err := row.Scan(&c.ID, &c.WebhookID, &c.Kind, &c.Threshold, &c.Reason, &c.Actor, &c.CreatedAt, &c.PublishedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list changes of endpoint %s: %w", webhookID, err)
	}
	return out, nil
}
