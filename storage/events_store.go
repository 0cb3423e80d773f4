package storage

import (
	"context"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// EventStore keeps published events and fans each out into deliveries.
type EventStore struct {
	pool   *pgxpool.Pool
	quotas hookflow.Quotas // see WithQuotas
}

// PublishEvent stores ev and one delivery per matching webhook in one
// statement. Publishing an id again stores nothing and returns the first
// deliveries with created false. category routes facility webhooks to shift
// events and user webhooks to facility events; organization subscriptions
// get any event.
//
// A publish that would create more deliveries than the fan-out quota is
// refused with hookflow.ErrFanoutTooLarge and nothing stored: the match
// stops one past the quota, so the refusal costs no more than the quota.
func (s *EventStore) PublishEvent(ctx context.Context, ev *hookflow.Event, category string) ([]hookflow.Delivery, bool, error) {
	limit := s.quotas.OrDefaults().FanoutPerPublish
	var deliveries []hookflow.Delivery
	var created bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		deliveries, created, err = publishEvent(ctx, tx, ev, category, limit)
		if err == nil && len(deliveries) > limit {
			err = hookflow.ErrFanoutTooLarge(limit)
		}
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if created {
		return deliveries, true, nil
	}
	deliveries, err = s.eventDeliveries(ctx, ev)
	return deliveries, false, err
}

// publishEvent stores ev and at most limit+1 of its deliveries.
func publishEvent(ctx context.Context, tx pgx.Tx, ev *hookflow.Event, category string, limit int) ([]hookflow.Delivery, bool, error) {
	rows, err := tx.Query(ctx, `
		WITH ev AS (
			INSERT INTO events (id, event_type, facility_id, client_id, organization_id, payload)
			VALUES ($1, $2, nullif($3, ''), nullif($4, ''), nullif($5, ''), $6)
			ON CONFLICT (id) DO NOTHING
			RETURNING id, created_at
		), matched AS (
			SELECT w.id, w.client_id, coalesce(w.organization_id, '') AS organization_id, w.url, w.created_at
			FROM webhooks w
			WHERE EXISTS (SELECT 1 FROM ev) AND w.deleted_at IS NULL AND w.archived_at IS NULL AND w.active
			  AND (w.events @> ARRAY[$2]::text[] OR w.events @> ARRAY['all']::text[])
			  AND (   (w.kind = 'facility' AND $7 = 'shift' AND $3 <> '' AND w.facilities @> ARRAY[$3]::text[])
			       OR (w.kind = 'user' AND $7 = 'facility' AND $4 <> '' AND w.client_id = $4)
			       OR (w.kind = 'organization' AND $5 <> '' AND w.organization_id = $5))
			LIMIT $8
		), ins AS (
			INSERT INTO deliveries (id, event_id, webhook_id, event_type, facility_id, client_id, url, created_at)
			SELECT gen_random_uuid(), ev.id, m.id, $2, nullif($3, ''), m.client_id, m.url, ev.created_at
			FROM matched m CROSS JOIN ev
			RETURNING id, webhook_id
		)
		SELECT (SELECT created_at FROM ev), ins.id, ins.webhook_id, m.client_id, m.organization_id, m.url
		FROM ins JOIN matched m ON m.id = ins.webhook_id
		UNION ALL
		-- An event that matched nothing still answers its creation time.
		SELECT created_at, NULL, NULL, NULL, NULL, NULL FROM ev WHERE NOT EXISTS (SELECT 1 FROM ins)`,
		ev.ID, ev.EventType, ev.FacilityID, ev.ClientID, ev.OrganizationID, ev.Data, category, limit+1)
	if err != nil {
		return nil, false, fmt.Errorf("publish event %s: %w", ev.ID, unstorable(err))
	}
	deliveries := []hookflow.Delivery{}
	created := false
	for rows.Next() {
		var id, webhookID *uuid.UUID
		var clientID, orgID, url *string
		if err := rows.Scan(&ev.CreatedAt, &id, &webhookID, &clientID, &orgID, &url); err != nil {
			rows.Close()
			return nil, false, fmt.Errorf("publish event %s: %w", ev.ID, err)
		}
		created = true
		if id == nil {
			continue
		}
		deliveries = append(deliveries, hookflow.Delivery{
			ID: id.String(), EventID: ev.ID, WebhookID: webhookID.String(), EventType: ev.EventType, FacilityID: ev.FacilityID,
			ClientID: *clientID, OrganizationID: *orgID, URL: *url, Status: hookflow.StatusPending, CreatedAt: ev.CreatedAt,
		})
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("publish event %s: %w", ev.ID, unstorable(err))
	}
	return deliveries, created, nil
}

// eventDeliveries reloads a published event and its deliveries.
func (s *EventStore) eventDeliveries(ctx context.Context, ev *hookflow.Event) ([]hookflow.Delivery, error) {
	err := s.pool.QueryRow(ctx, `SELECT event_type, coalesce(facility_id, ''), coalesce(client_id, ''), coalesce(organization_id, ''), payload, created_at
		FROM events WHERE id = $1`, ev.ID).Scan(&ev.EventType, &ev.FacilityID, &ev.ClientID, &ev.OrganizationID, &ev.Data, &ev.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("load event %s: %w", ev.ID, err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.event_id = $1 ORDER BY d.created_at, w.created_at, w.id`, ev.ID)
	if err != nil {
		return nil, fmt.Errorf("load deliveries of %s: %w", ev.ID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Delivery, error) { return scanDelivery(row) })
	if err != nil {
		return nil, fmt.Errorf("load deliveries of %s: %w", ev.ID, err)
	}
	return out, nil
}

// DeleteEvent removes an event whose deliveries never started, so that a
// failed publish leaves nothing behind.
func (s *EventStore) DeleteEvent(ctx context.Context, id string) error {
	if _, err := s.pool.Exec(ctx, `DELETE FROM events WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete event %s: %w", id, err)
	}
	return nil
}
