package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookflow/hookflow"
)

// EndpointChangeStore reads the outbox of endpoint state changes
// (endpoint_state_changes, published_at NULL until published) for the
// operational events, and marks what was published. The engine writes the
// changes, in the transaction that changes the endpoint's state.
type EndpointChangeStore struct {
	pool *pgxpool.Pool
}

// UnpublishedEndpointChanges lists a webhook's changes that are not
// published yet, oldest first. A deleted webhook's are listed too: its
// tenant still hears that it was disabled.
func (s *EndpointChangeStore) UnpublishedEndpointChanges(ctx context.Context, webhookID string) ([]hookflow.PendingEndpointChange, error) {
	uid, err := uuid.Parse(webhookID)
	if err != nil {
		return nil, hookflow.ErrWebhookNotFound
	}
	rows, err := s.pool.Query(ctx, `
		SELECT c.id, c.kind, coalesce(c.threshold, 0), coalesce(c.reason, ''), c.actor, c.created_at,
		       w.kind, w.client_id, coalesce(w.organization_id, ''), w.url, coalesce(w.rate_limit, 0),
		       coalesce(h.state, 'closed'), h.failing_since
		FROM endpoint_state_changes c
		JOIN webhooks w ON w.id = c.webhook_id
		LEFT JOIN endpoint_health h ON h.webhook_id = c.webhook_id
		WHERE c.webhook_id = $1 AND c.published_at IS NULL
		ORDER BY c.created_at, c.id`, uid)
	if err != nil {
		return nil, fmt.Errorf("list unpublished changes of %s: %w", webhookID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.PendingEndpointChange, error) {
		var p hookflow.PendingEndpointChange
		var id uuid.UUID
		err := row.Scan(&id, &p.EndpointChange.Kind, &p.Threshold, &p.Reason, &p.Actor, &p.CreatedAt,
			&p.Kind, &p.ClientID, &p.OrganizationID, &p.URL, &p.RateLimit, &p.State, &p.FailingSince)
		p.ID, p.WebhookID = id.String(), webhookID
		return p, err
	})
	if err != nil {
		return nil, fmt.Errorf("list unpublished changes of %s: %w", webhookID, err)
	}
	return out, nil
}

// StaleEndpointChanges lists the webhooks that have a change unpublished
// since before the cutoff, oldest change first, at most limit: those whose
// publish was lost (the process died between the change and its publish).
func (s *EndpointChangeStore) StaleEndpointChanges(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT webhook_id::text FROM endpoint_state_changes
		WHERE published_at IS NULL AND created_at < $1
		GROUP BY webhook_id ORDER BY min(created_at) LIMIT $2`, before, limit)
	if err != nil {
		return nil, fmt.Errorf("list stale endpoint changes: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list stale endpoint changes: %w", err)
	}
	return ids, nil
}

// MarkEndpointChangePublished marks a change published; marking it again
// keeps the first time.
func (s *EndpointChangeStore) MarkEndpointChangePublished(ctx context.Context, id string) error {
	uid, err := uuid.Parse(id)
	if err != nil {
		return fmt.Errorf("mark change %s published: %w", id, err)
	}
	if _, err := s.pool.Exec(ctx, `UPDATE endpoint_state_changes SET published_at = now() WHERE id = $1 AND published_at IS NULL`, uid); err != nil {
		return fmt.Errorf("mark change %s published: %w", id, err)
	}
	return nil
}

// ResumableDeliveries lists the ids of a webhook's deliveries that may
// still make attempts, oldest first: the order in which a recovered
// endpoint's paused deliveries resume.
func (s *EndpointChangeStore) ResumableDeliveries(ctx context.Context, webhookID string) ([]string, error) {
	uid, err := uuid.Parse(webhookID)
	if err != nil {
		return nil, hookflow.ErrWebhookNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT id::text FROM deliveries
		WHERE webhook_id = $1 AND status IN ('pending', 'retrying') ORDER BY created_at, id`, uid)
	if err != nil {
		return nil, fmt.Errorf("list resumable deliveries of %s: %w", webhookID, err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list resumable deliveries of %s: %w", webhookID, err)
	}
	return ids, nil
}
