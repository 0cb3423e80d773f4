package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// PublishTestEvent stores a test event (an integrator's "send test event")
// and exactly one delivery of it, to w: no routing, no filter, no fan-out
// to other webhooks. The delivery's origin is 'test', so it is told apart
// from a published event's. The caller starts the delivery's workflow.
func (s *EventStore) PublishTestEvent(ctx context.Context, ev *hookflow.Event, w hookflow.Webhook) (*hookflow.Delivery, error) {
	webhookID, err := uuid.Parse(w.ID)
	if err != nil {
		return nil, hookflow.ErrWebhookNotFound
	}
	d := hookflow.Delivery{
		ID: uuid.NewString(), EventID: ev.ID, WebhookID: w.ID, WebhookKind: w.Kind, EventType: ev.EventType, FacilityID: ev.FacilityID,
		ClientID: w.ClientID, OrganizationID: w.OrganizationID, URL: w.URL, Status: hookflow.StatusPending,
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `INSERT INTO events (id, event_type, facility_id, client_id, organization_id, payload)
			VALUES ($1, $2, nullif($3, ''), nullif($4, ''), nullif($5, ''), $6) RETURNING created_at`,
			ev.ID, ev.EventType, ev.FacilityID, w.ClientID, w.OrganizationID, ev.Data).Scan(&d.CreatedAt)
		if err != nil {
			return fmt.Errorf("store test event %s: %w", ev.ID, unstorable(err))
		}
		// The webhook must still be there, as the handler read it.
		tag, err := tx.Exec(ctx, `INSERT INTO deliveries (id, event_id, webhook_id, event_type, facility_id, client_id, url, origin, created_at)
			SELECT $1, $2, w.id, $3, nullif($4, ''), w.client_id, w.url, 'test', $5
			FROM webhooks w WHERE w.id = $6 AND w.deleted_at IS NULL`,
			d.ID, ev.ID, ev.EventType, ev.FacilityID, d.CreatedAt, webhookID)
		if err != nil {
			return fmt.Errorf("store test delivery of %s: %w", ev.ID, unstorable(err))
		}
		if tag.RowsAffected() == 0 {
			return hookflow.ErrWebhookNotFound
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	ev.CreatedAt = d.CreatedAt
	return &d, nil
}

// SampleData is the data of the catalog's sample payload for an event type:
// the live catalog event of that code, its own version's sample first; nil
// when it has none.
func (s *SamplePayloadStore) SampleData(ctx context.Context, code string) (json.RawMessage, error) {
	var payload json.RawMessage
	err := s.pool.QueryRow(ctx, `SELECT p.payload FROM sample_payloads p JOIN webhook_events e ON e.id = p.event_id
		WHERE e.code = $1 AND e.deleted_at IS NULL
		ORDER BY p.version = e.version DESC, e.created_at DESC, p.updated_at DESC LIMIT 1`, code).Scan(&payload)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("load sample payload of %s: %w", code, err)
	}
	return payload, nil
}
