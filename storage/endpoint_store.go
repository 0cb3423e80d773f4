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

// EndpointStore reads an endpoint's health, stats and state changes, and
// disables and re-enables it by hand. The engine's own writes to the same
// rows (breaker, auto-disable) are the attempt path's.
type EndpointStore struct {
	pool *pgxpool.Pool
}

// EndpointReport loads what the health API shows of a webhook that exists:
// its row in endpoint_health (none: closed), its rate limit, its attempts
// over the hour and the day before now, and its latest changes.
func (s *EndpointStore) EndpointReport(ctx context.Context, webhookID string, now time.Time) (*hookflow.EndpointReport, error) {
	uid, err := uuid.Parse(webhookID)
	if err != nil {
		return nil, hookflow.ErrWebhookNotFound
	}
	r := &hookflow.EndpointReport{Health: hookflow.EndpointHealth{WebhookID: webhookID, State: hookflow.EndpointClosed}}
	h := &r.Health
	var state *string
	var reason *string
	err = s.pool.QueryRow(ctx, `
		SELECT w.rate_limit, h.state, coalesce(h.consecutive_failures, 0), h.failing_since, h.opened_at, h.probe_at,
		       h.disabled_at, h.disabled_reason, h.last_success_at, h.last_failure_at
		FROM webhooks w LEFT JOIN endpoint_health h ON h.webhook_id = w.id
		WHERE w.id = $1`, uid).Scan(&r.RateLimit, &state, &h.ConsecutiveFailures, &h.FailingSince, &h.OpenedAt, &h.ProbeAt,
		&h.DisabledAt, &reason, &h.LastSuccessAt, &h.LastFailureAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrWebhookNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load health of %s: %w", webhookID, err)
	}
	if state != nil {
		h.State = hookflow.EndpointState(*state)
	}
	if reason != nil {
		h.DisabledReason = *reason
	}
	if r.LastHour, err = s.stats(ctx, uid, now.Add(-time.Hour)); err != nil {
		return nil, err
	}
	if r.LastDay, err = s.stats(ctx, uid, now.Add(-24*time.Hour)); err != nil {
		return nil, err
	}
	if r.Changes, err = s.changes(ctx, uid, hookflow.MaxEndpointChangesShown); err != nil {
		return nil, err
	}
	return r, nil
}

// stats counts the webhook's attempts made since a time. An attempt moves
// its delivery's updated_at, so only deliveries touched since then are read
// (index deliveries_webhook_updated), not the webhook's whole retention.
func (s *EndpointStore) stats(ctx context.Context, webhookID uuid.UUID, since time.Time) (hookflow.EndpointStats, error) {
	var st hookflow.EndpointStats
	err := s.pool.QueryRow(ctx, `
		SELECT count(*),
		       count(*) FILTER (WHERE a.success),
		       count(*) FILTER (WHERE NOT a.success),
		       count(*) FILTER (WHERE a.response_status BETWEEN 200 AND 299),
		       count(*) FILTER (WHERE a.response_status BETWEEN 300 AND 399),
		       count(*) FILTER (WHERE a.response_status BETWEEN 400 AND 499),
		       count(*) FILTER (WHERE a.response_status >= 500),
		       -- egress words a transport timeout "timed out: ..."
		       count(*) FILTER (WHERE a.response_status IS NULL AND a.error LIKE 'timed out%'),
		       count(*) FILTER (WHERE a.response_status IS NULL AND a.error IS NOT NULL AND a.error NOT LIKE 'timed out%')
		FROM deliveries d JOIN attempts a ON a.delivery_id = d.id
		WHERE d.webhook_id = $1 AND d.updated_at >= $2 AND a.created_at >= $2`, webhookID, since).
		Scan(&st.Attempts, &st.Succeeded, &st.Failed, &st.Status2xx, &st.Status3xx, &st.Status4xx, &st.Status5xx, &st.Timeout, &st.Error)
	if err != nil {
		return st, fmt.Errorf("count attempts of %s: %w", webhookID, err)
	}
	return st, nil
}

// changes lists the webhook's latest state changes, newest first.
func (s *EndpointStore) changes(ctx context.Context, webhookID uuid.UUID, limit int) ([]hookflow.EndpointChange, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT id::text, kind, coalesce(threshold, 0), coalesce(reason, ''), actor, created_at, published_at
		FROM endpoint_state_changes WHERE webhook_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, webhookID, limit)
	if err != nil {
		return nil, fmt.Errorf("list state changes of %s: %w", webhookID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.EndpointChange, error) {
		c := hookflow.EndpointChange{WebhookID: webhookID.String()}
		err := row.Scan(&c.ID, &c.Kind, &c.Threshold, &c.Reason, &c.Actor, &c.CreatedAt, &c.PublishedAt)
		return c, err
	})
	if err != nil {
		return nil, fmt.Errorf("list state changes of %s: %w", webhookID, err)
	}
	return out, nil
}

// DisableEndpoint disables a webhook by hand and records the change with
// the caller as its actor. Disabling a disabled endpoint changes nothing,
// its first reason stays.
func (s *EndpointStore) DisableEndpoint(ctx context.Context, webhookID, reason, actor string) error {
	uid, err := uuid.Parse(webhookID)
	if err != nil {
		return hookflow.ErrWebhookNotFound
	}
	_, err = s.pool.Exec(ctx, `
		WITH up AS (
			INSERT INTO endpoint_health AS h (webhook_id, state, disabled_at, disabled_reason, probe_delivery_id, probe_lease_until, probe_at)
			VALUES ($1, 'disabled', now(), $2, NULL, NULL, NULL)
			ON CONFLICT (webhook_id) DO UPDATE SET state = 'disabled', disabled_at = now(), disabled_reason = $2,
				probe_delivery_id = NULL, probe_lease_until = NULL, probe_at = NULL, updated_at = now()
			WHERE h.state <> 'disabled'
			RETURNING webhook_id
		)
		INSERT INTO endpoint_state_changes (webhook_id, kind, reason, actor)
		SELECT webhook_id, 'disabled', $2, $3 FROM up`, uid, reason, actor)
	if err != nil {
		return fmt.Errorf("disable endpoint %s: %w", webhookID, err)
	}
	return nil
}

// EnableEndpoint puts a webhook back to a closed circuit with a clean
// slate (no failures counted, no failing clock, no threshold announced)
// and records the change when it was not closed already.
func (s *EndpointStore) EnableEndpoint(ctx context.Context, webhookID, actor string) error {
	uid, err := uuid.Parse(webhookID)
	if err != nil {
		return hookflow.ErrWebhookNotFound
	}
	_, err = s.pool.Exec(ctx, `
		WITH up AS (
			UPDATE endpoint_health h SET state = 'closed', consecutive_failures = 0, failing_since = NULL,
				threshold_notified = 0, opened_at = NULL, probe_at = NULL, cooldown_ms = 0,
				probe_delivery_id = NULL, probe_lease_until = NULL, disabled_at = NULL, disabled_reason = NULL,
				updated_at = now()
			FROM (SELECT webhook_id, state FROM endpoint_health WHERE webhook_id = $1) before
			WHERE h.webhook_id = before.webhook_id
			RETURNING h.webhook_id, before.state AS was
		)
		INSERT INTO endpoint_state_changes (webhook_id, kind, actor)
		SELECT webhook_id, 'enabled', $2 FROM up WHERE was <> 'closed'`, uid, actor)
	if err != nil {
		return fmt.Errorf("enable endpoint %s: %w", webhookID, err)
	}
	return nil
}
