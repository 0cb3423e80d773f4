package storage

import (
	"context"
	"errors"
	"fmt"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// EventCategory returns the catalog category of an active event type, or
// EINVALID when the catalog does not know it.
func (db *DB) EventCategory(ctx context.Context, eventType string) (string, error) {
	var category string
	err := db.pool.QueryRow(ctx, `
		SELECT c.code FROM webhook_events e JOIN webhook_categories c ON c.id = e.category_id
		WHERE e.code = $1 AND e.active AND e.archived_at IS NULL`, eventType).Scan(&category)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", hookflow.Errorf(hookflow.EINVALID, "unknown event type %s", eventType)
	}
	if err != nil {
		return "", fmt.Errorf("look up event type %s: %w", eventType, err)
	}
	return category, nil
}

// AllEventCodes lists every active catalog event, category by category.
func (db *DB) AllEventCodes(ctx context.Context) ([]string, error) {
	rows, err := db.pool.Query(ctx, `
		SELECT e.code FROM webhook_events e JOIN webhook_categories c ON c.id = e.category_id
		WHERE e.active AND e.archived_at IS NULL ORDER BY c.position, e.position, e.created_at`)
	if err != nil {
		return nil, fmt.Errorf("list catalog events: %w", err)
	}
	codes, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("list catalog events: %w", err)
	}
	return codes, nil
}

// PublishEvent stores ev and one delivery per matching webhook, atomically.
// Publishing an id again stores nothing and returns the first deliveries with
// created false. category routes facility webhooks to shift events and user
// webhooks to facility events; organization subscriptions get any event.
func (db *DB) PublishEvent(ctx context.Context, ev *hookflow.Event, category string) ([]hookflow.Delivery, bool, error) {
	var deliveries []hookflow.Delivery
	created := false
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
		deliveries, created = nil, false
		err := tx.QueryRow(ctx, `
			INSERT INTO events (id, event_type, facility_id, client_id, organization_id, payload)
			VALUES ($1, $2, nullif($3, ''), nullif($4, ''), nullif($5, ''), $6)
			ON CONFLICT (id) DO NOTHING
			RETURNING created_at`,
			ev.ID, ev.EventType, ev.FacilityID, ev.ClientID, ev.OrganizationID, ev.Data,
		).Scan(&ev.CreatedAt)
		if errors.Is(err, pgx.ErrNoRows) {
			deliveries, err = eventDeliveries(ctx, tx, ev)
			return err
		}
		if err != nil {
			return fmt.Errorf("insert event %s: %w", ev.ID, err)
		}
		created = true
		rows, err := tx.Query(ctx, `
			SELECT w.id, w.client_id, coalesce(w.organization_id, ''), w.url FROM webhooks w
			WHERE w.deleted_at IS NULL AND w.active
			  AND (w.events @> ARRAY[$1]::text[] OR w.events @> ARRAY['all']::text[])
			  AND (   (w.kind = 'facility' AND $2 = 'shift' AND $3 <> '' AND w.facilities @> ARRAY[$3]::text[])
			       OR (w.kind = 'user' AND $2 = 'facility' AND $4 <> '' AND w.client_id = $4)
			       OR (w.kind = 'organization' AND $5 <> '' AND w.organization_id = $5))
			ORDER BY w.created_at, w.id`,
			ev.EventType, category, ev.FacilityID, ev.ClientID, ev.OrganizationID)
		if err != nil {
			return fmt.Errorf("match webhooks: %w", err)
		}
		deliveries, err = pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Delivery, error) {
			var webhookID uuid.UUID
			d := hookflow.Delivery{ID: uuid.NewString(), EventID: ev.ID, EventType: ev.EventType, FacilityID: ev.FacilityID, Status: hookflow.StatusPending, CreatedAt: ev.CreatedAt}
			err := row.Scan(&webhookID, &d.ClientID, &d.OrganizationID, &d.URL)
			d.WebhookID = webhookID.String()
			return d, err
		})
		if err != nil {
			return fmt.Errorf("match webhooks: %w", err)
		}
		for _, d := range deliveries {
			if _, err := tx.Exec(ctx, `
				INSERT INTO deliveries (id, event_id, webhook_id, event_type, facility_id, client_id, url, created_at)
				VALUES ($1, $2, $3, $4, nullif($5, ''), $6, $7, $8)`,
				d.ID, d.EventID, d.WebhookID, d.EventType, d.FacilityID, d.ClientID, d.URL, d.CreatedAt); err != nil {
				return fmt.Errorf("insert delivery: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return nil, false, err
	}
	return deliveries, created, nil
}

// eventDeliveries reloads a published event and its deliveries.
func eventDeliveries(ctx context.Context, tx pgx.Tx, ev *hookflow.Event) ([]hookflow.Delivery, error) {
	err := tx.QueryRow(ctx, `SELECT event_type, coalesce(facility_id, ''), coalesce(client_id, ''), coalesce(organization_id, ''), payload, created_at
		FROM events WHERE id = $1`, ev.ID).Scan(&ev.EventType, &ev.FacilityID, &ev.ClientID, &ev.OrganizationID, &ev.Data, &ev.CreatedAt)
	if err != nil {
		return nil, fmt.Errorf("load event %s: %w", ev.ID, err)
	}
	rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
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
func (db *DB) DeleteEvent(ctx context.Context, id string) error {
	if _, err := db.pool.Exec(ctx, `DELETE FROM events WHERE id = $1`, id); err != nil {
		return fmt.Errorf("delete event %s: %w", id, err)
	}
	return nil
}
