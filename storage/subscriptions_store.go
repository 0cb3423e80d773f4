package storage

import (
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/sealing"
)

// SubscriptionStore keeps organizations' webhook subscriptions.
type SubscriptionStore struct {
	pool   *pgxpool.Pool
	ring   *sealing.KeyRing
	quotas hookflow.Quotas // see WithQuotas
}

// Organization subscriptions (ECG module) are webhooks of kind organization:
// the same rows the delivery engine routes to, seen through the columns
// subscriptionColumns reads. Every read and write is scoped to the
// organization, so another organization's id is not found.

// subscriptionRef names a subscription of an organization for the
// lifecycle mechanism.
func subscriptionRef(orgID string, id uuid.UUID) entityRef {
	return entityRef{table: "webhooks", id: id, notFound: hookflow.ErrSubscriptionNotFound,
		scope: []scoped{{"kind", string(hookflow.KindOrganization)}, {"organization_id", orgID}}}
}

// subscriptionOrder is the list order by creation time.
func subscriptionOrder(p hookflow.Page) string {
	if p.Descending {
		return `ORDER BY w.created_at DESC, w.id DESC`
	}
	return `ORDER BY w.created_at, w.id`
}

// CreateSubscription stores a subscription of an organization with its
// first secret; by is the token's subject. An organization past its quota
// of subscriptions (archived ones count, deleted ones do not) is refused
// with hookflow.ErrTooManySubscriptions and nothing stored.
func (s *SubscriptionStore) CreateSubscription(ctx context.Context, orgID string, in hookflow.SubscriptionInput, secret, by string) (*hookflow.Subscription, error) {
	var out *hookflow.Subscription
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		limit := s.quotas.OrDefaults().SubscriptionsPerOrganization
		if err := checkQuota(ctx, tx, "subscriptions", orgID, limit, `SELECT count(*) FROM webhooks
			WHERE kind = 'organization' AND organization_id = $1 AND deleted_at IS NULL`,
			[]any{orgID}, hookflow.ErrTooManySubscriptions(limit)); err != nil {
			return err
		}
		// The id is chosen here: the headers are sealed bound to it.
		id := uuid.New()
		headers, err := sealHeaders(s.ring, id, in.Headers)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `
			INSERT INTO webhooks (id, kind, client_id, organization_id, url, events, version, is_development, sealed_headers, filter, rate_limit, active, created_by, updated_by)
			VALUES ($7, 'organization', '', $1, $2, $3, $4, $5, $8, nullif($9, ''), nullif($10, 0), true, $6, $6)`,
			orgID, in.PostURI, nonNil(in.Events), in.Version, in.IsDevelopment, by, id, headers, in.Filter, in.RateLimit)
		if err != nil {
			return fmt.Errorf("insert subscription: %w", unstorable(err))
		}
		if err := insertSecrets(ctx, tx, s.ring, id, []string{secret}); err != nil {
			return err
		}
		out, err = subscription(ctx, tx, s.ring, orgID, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Subscription loads an organization's subscription, archived or not; a
// deleted one, another organization's, or a malformed id is not found.
func (s *SubscriptionStore) Subscription(ctx context.Context, orgID, id string) (*hookflow.Subscription, error) {
	uid, err := parseID(id, hookflow.ErrSubscriptionNotFound)
	if err != nil {
		return nil, err
	}
	return subscription(ctx, s.pool, s.ring, orgID, uid)
}

func subscription(ctx context.Context, q querier, ring *sealing.KeyRing, orgID string, id uuid.UUID) (*hookflow.Subscription, error) {
	s, err := scanSubscription(ring, q.QueryRow(ctx, `SELECT `+subscriptionColumns("w")+` FROM webhooks w
		WHERE w.id = $1 AND w.kind = 'organization' AND w.organization_id = $2 AND w.deleted_at IS NULL`, id, orgID))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrSubscriptionNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load subscription %s: %w", id, err)
	}
	return &s, nil
}

// Subscriptions lists a page of an organization's subscriptions that are
// neither archived nor deleted, and how many there are. The event filter
// takes a catalog event's id or code and matches subscriptions to it or to
// all events.
func (s *SubscriptionStore) Subscriptions(ctx context.Context, orgID string, f hookflow.SubscriptionFilter) ([]hookflow.Subscription, int, error) {
	const visible = ` FROM webhooks w
		WHERE w.kind = 'organization' AND w.organization_id = $1 AND w.deleted_at IS NULL AND w.archived_at IS NULL
		  AND ($2 = '' OR w.version = $2)
		  AND ($3 = '' OR w.events && ARRAY[coalesce((SELECT e.code FROM webhook_events e WHERE e.id::text = $3 LIMIT 1), $3), 'all'])`
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*)`+visible, orgID, f.Version, f.EventID).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count subscriptions of %s: %w", orgID, unstorable(err))
	}
	rows, err := s.pool.Query(ctx, `SELECT `+subscriptionColumns("w")+visible+` `+subscriptionOrder(f.Page)+` OFFSET $4 LIMIT $5`,
		orgID, f.Version, f.EventID, f.Page.Skip, f.Page.Take)
	if err != nil {
		return nil, 0, fmt.Errorf("list subscriptions of %s: %w", orgID, err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Subscription, error) { return scanSubscription(s.ring, row) })
	if err != nil {
		return nil, 0, fmt.Errorf("list subscriptions of %s: %w", orgID, err)
	}
	return out, total, nil
}

// UpdateSubscription replaces a subscription's editable fields; the next
// attempt of any pending delivery posts to the new URL.
func (s *SubscriptionStore) UpdateSubscription(ctx context.Context, orgID, id string, in hookflow.SubscriptionInput, by string) (*hookflow.Subscription, error) {
	uid, err := parseID(id, hookflow.ErrSubscriptionNotFound)
	if err != nil {
		return nil, err
	}
	headers, err := sealHeaders(s.ring, uid, in.Headers)
	if err != nil {
		return nil, err
	}
	return inLocked(ctx, s.pool, subscriptionRef(orgID, uid), "UPDATE", func(tx pgx.Tx) (*hookflow.Subscription, error) {
		_, err := tx.Exec(ctx, `UPDATE webhooks SET url = $2, events = $3, version = $4, is_development = $5, sealed_headers = $7, filter = nullif($8, ''),
				rate_limit = nullif($9, 0), updated_at = now(), updated_by = $6
			WHERE id = $1`, uid, in.PostURI, nonNil(in.Events), in.Version, in.IsDevelopment, by, headers, in.Filter, in.RateLimit)
		if err != nil {
			return nil, fmt.Errorf("update subscription %s: %w", id, unstorable(err))
		}
		return subscription(ctx, tx, s.ring, orgID, uid)
	})
}

// SubscriptionLifecycle archives, restores, activates, deactivates or
// deletes a subscription of an organization.
func (s *SubscriptionStore) SubscriptionLifecycle(ctx context.Context, orgID, id string, action hookflow.LifecycleAction, by string) error {
	uid, err := parseID(id, hookflow.ErrSubscriptionNotFound)
	if err != nil {
		return err
	}
	return applyLifecycle(ctx, s.pool, subscriptionRef(orgID, uid), action, by)
}

// RemoveSubscriptionEvent takes one event off a subscription; event is a
// catalog event's id or a code the subscription lists. One it does not
// list is not found. Removing the last leaves the subscription with none.
func (s *SubscriptionStore) RemoveSubscriptionEvent(ctx context.Context, orgID, id, event, by string) error {
	uid, err := parseID(id, hookflow.ErrSubscriptionNotFound)
	if err != nil {
		return err
	}
	_, err = inLocked(ctx, s.pool, subscriptionRef(orgID, uid), "UPDATE", func(tx pgx.Tx) (struct{}, error) {
		tag, err := tx.Exec(ctx, `
			WITH target AS (SELECT coalesce((SELECT e.code FROM webhook_events e WHERE e.id::text = $2 LIMIT 1), $2) AS code)
			UPDATE webhooks w SET events = array_remove(w.events, target.code), updated_at = now(), updated_by = $3
			FROM target WHERE w.id = $1 AND target.code = ANY (w.events)`, uid, event, by)
		if err != nil {
			return struct{}{}, fmt.Errorf("remove event from subscription %s: %w", id, unstorable(err))
		}
		if tag.RowsAffected() == 0 {
			return struct{}{}, hookflow.ErrCatalogEventNotFound
		}
		return struct{}{}, nil
	})
	return err
}
