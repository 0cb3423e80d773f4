package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// LogEntry loads one delivery as the logs show it, with its latest attempt.
func (s *LogStore) LogEntry(ctx context.Context, deliveryID string) (*hookflow.LogEntry, error) {
	uid, err := uuid.Parse(deliveryID)
	if err != nil {
		return nil, ErrDeliveryNotFound
	}
	var ev hookflow.Event
	var la nullableAttempt
	d, err := scanDelivery(s.pool.QueryRow(ctx, `SELECT `+deliveryColumns+`, e.payload, e.created_at,
			la.id, la.delivery_id, la.attempt_number, la.retrying_from_id, la.manual, la.url, coalesce(la.response_status, 0),
			coalesce(la.response_body, ''), coalesce(la.error, ''), la.duration_ms, la.success, la.next_retry_at, la.created_at
		FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
		LEFT JOIN LATERAL (SELECT * FROM attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt_number DESC LIMIT 1) la ON true
		WHERE d.id = $1`, uid), append([]any{&ev.Data, &ev.CreatedAt}, la.dest()...)...)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, ErrDeliveryNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load delivery log %s: %w", deliveryID, err)
	}
	ev.ID, ev.EventType = d.EventID, d.EventType
	request, err := ev.Envelope()
	if err != nil {
		return nil, fmt.Errorf("render request payload: %w", err)
	}
	return &hookflow.LogEntry{Delivery: d, Request: request, LastAttempt: la.attempt()}, nil
}
