package storage

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// maxProcessorTargets bounds the webhooks a test receiver checks a
// signature against: an event reaches the built-in receivers through a
// handful of webhooks at most.
const maxProcessorTargets = 10

// ProcessorTargets returns the webhooks that deliver event eventID to a URL
// whose path ends in path, with the secrets that sign now, so that Hookflow's
// built-in test receivers can tell its own signed deliveries from strangers.
func (s *DeliveryStore) ProcessorTargets(ctx context.Context, eventID, path string) ([]*hookflow.Webhook, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+webhookColumns+`
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.event_id = $1 AND right(split_part(w.url, '?', 1), length($2)) = $2
		ORDER BY d.created_at LIMIT $3`, eventID, path, maxProcessorTargets)
	if err != nil {
		return nil, fmt.Errorf("load processor targets of %s: %w", eventID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*hookflow.Webhook, error) { return scanWebhook(s.ring, row) })
	if err != nil {
		return nil, fmt.Errorf("load processor targets of %s: %w", eventID, err)
	}
	return out, nil
}
