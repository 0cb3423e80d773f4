package storage

import (
	"context"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/filter"
)

// EventStore keeps published events and fans each out into deliveries.
type EventStore struct {
	pool    *pgxpool.Pool
	quotas  hookflow.Quotas // see WithQuotas
	filters *filter.Matcher // webhooks' filters, compiled once each (see WithLogger)
}

// PublishEvent stores ev and one delivery per matching webhook in one
// transaction. Publishing an id again stores nothing and returns the first
// deliveries with created false. category routes facility webhooks to shift
// events and user webhooks to facility events; organization subscriptions
// get any event. An operational event (hookflow.OperationalCategory) goes
// only to its endpoint's tenant: for a public webhook, to the client's
// facility and user webhooks (ev.ClientID); for a subscription, to the
// organization's (ev.OrganizationID); and only to those that name the
// event, never through "all". A webhook with a filter gets the event only when the
// filter matches it (filter.Matcher.Match: a failing filter does not).
//
// A publish that would create more deliveries than the fan-out quota is
// refused with hookflow.ErrFanoutTooLarge and nothing stored: the quota
// counts the webhooks whose filters match, and matching stops one past it.
func (s *EventStore) PublishEvent(ctx context.Context, ev *hookflow.Event, category string) ([]hookflow.Delivery, bool, error) {
	limit := s.quotas.OrDefaults().FanoutPerPublish
	var deliveries []hookflow.Delivery
	var created bool
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		var err error
		deliveries, created, err = s.publishEvent(ctx, tx, ev, category, limit)
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

// candidate is a webhook an event is routed to, before its filter.
type candidate struct {
	id                   [16]byte // a uuid, in the form pgx encodes natively
	clientID, orgID, url string
}

// publishEvent stores ev, matches the webhooks it is routed to against
// their filters and stores a delivery for each that matches, unless more
// than limit do. created is false when ev's id was published before.
func (s *EventStore) publishEvent(ctx context.Context, tx pgx.Tx, ev *hookflow.Event, category string, limit int) ([]hookflow.Delivery, bool, error) {
	// The event and its candidates in one round trip; the left join
	// answers the event's creation time even when no webhook is routed to.
	rows, err := tx.Query(ctx, `
		WITH ev AS (
			INSERT INTO events (id, event_type, facility_id, client_id, organization_id, payload)
			VALUES ($1, $2, nullif($3, ''), nullif($4, ''), nullif($5, ''), $6)
			ON CONFLICT (id) DO NOTHING
			RETURNING created_at
		)
		SELECT ev.created_at, w.id, w.client_id, coalesce(w.organization_id, ''), w.url, coalesce(w.filter, '')
		FROM ev LEFT JOIN webhooks w
		  ON w.deleted_at IS NULL AND w.archived_at IS NULL AND w.active
		 AND (   ($7 <> $8
		          AND (w.events @> ARRAY[$2]::text[] OR w.events @> ARRAY['all']::text[])
		          AND (   (w.kind = 'facility' AND $7 = 'shift' AND $3 <> '' AND w.facilities @> ARRAY[$3]::text[])
		               OR (w.kind = 'user' AND $7 = 'facility' AND $4 <> '' AND w.client_id = $4)
		               OR (w.kind = 'organization' AND $5 <> '' AND w.organization_id = $5)))
		      OR ($7 = $8
		          AND w.events @> ARRAY[$2]::text[]
		          AND (   (w.kind IN ('facility', 'user') AND $4 <> '' AND w.client_id = $4)
		               OR (w.kind = 'organization' AND $5 <> '' AND w.organization_id = $5))))`,
		ev.ID, ev.EventType, ev.FacilityID, ev.ClientID, ev.OrganizationID, ev.Data, category, hookflow.OperationalCategory)
	if err != nil {
		return nil, false, fmt.Errorf("publish event %s: %w", ev.ID, unstorable(err))
	}
	matched, created, err := s.matchCandidates(ctx, rows, ev, limit)
	if err != nil || !created || len(matched) == 0 {
		return []hookflow.Delivery{}, created, err
	}
	deliveries := make([]hookflow.Delivery, len(matched))
	ids, webhookIDs, clientIDs, urls := make([][16]byte, len(matched)), make([][16]byte, len(matched)), make([]string, len(matched)), make([]string, len(matched))
	for i, m := range matched {
		id := uuid.New()
		ids[i], webhookIDs[i], clientIDs[i], urls[i] = id, m.id, m.clientID, m.url
		deliveries[i] = hookflow.Delivery{
			ID: id.String(), EventID: ev.ID, WebhookID: uuid.UUID(m.id).String(), EventType: ev.EventType, FacilityID: ev.FacilityID,
			ClientID: m.clientID, OrganizationID: m.orgID, URL: m.url, Status: hookflow.StatusPending, CreatedAt: ev.CreatedAt,
		}
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO deliveries (id, event_id, webhook_id, event_type, facility_id, client_id, url, created_at)
		SELECT d.id, $1, d.webhook_id, $2, nullif($3, ''), d.client_id, d.url, $4
		FROM unnest($5::uuid[], $6::uuid[], $7::text[], $8::text[]) AS d(id, webhook_id, client_id, url)`,
		ev.ID, ev.EventType, ev.FacilityID, ev.CreatedAt, ids, webhookIDs, clientIDs, urls)
	if err != nil {
		return nil, false, fmt.Errorf("store deliveries of %s: %w", ev.ID, unstorable(err))
	}
	return deliveries, true, nil
}

// matchCandidates reads the event's creation time and its candidates from
// rows, keeping those whose filter matches. No row at all means the event
// was published before. More than limit matches is the fan-out refusal,
// found without evaluating the rest.
func (s *EventStore) matchCandidates(ctx context.Context, rows pgx.Rows, ev *hookflow.Event, limit int) ([]candidate, bool, error) {
	defer rows.Close()
	var in *filter.Event // made for the first filter
	var matched []candidate
	created := false
	for rows.Next() {
		var id pgtype.UUID
		var c candidate
		var expr pgtype.Text
		// A NULL id (no webhook is routed to) leaves the texts NULL too.
		var clientID, orgID, url pgtype.Text
		if err := rows.Scan(&ev.CreatedAt, &id, &clientID, &orgID, &url, &expr); err != nil {
			return nil, false, fmt.Errorf("publish event %s: %w", ev.ID, err)
		}
		created = true
		if !id.Valid {
			continue
		}
		if expr.String != "" {
			if in == nil {
				in = filter.NewEvent(ev)
			}
			if !s.filters.Match(ctx, expr.String, in, uuid.UUID(id.Bytes).String(), ev.ID) {
				continue
			}
		}
		c.id, c.clientID, c.orgID, c.url = id.Bytes, clientID.String, orgID.String, url.String
		matched = append(matched, c)
		if len(matched) > limit {
			return nil, false, hookflow.ErrFanoutTooLarge(limit)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, false, fmt.Errorf("publish event %s: %w", ev.ID, unstorable(err))
	}
	return matched, created, nil
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
