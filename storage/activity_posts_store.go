package storage

// Posts added through the ECG API, reported outcomes, and the catalog
// events they name.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// AddActivityPost stores a post added through the API: an event carrying
// the data and its one delivery to the subscription, due at PostAt when
// that is in the future. The caller starts the delivery's workflow. A post
// for later past the subscription's quota of pending ones is refused with
// hookflow.ErrTooManyPendingPosts and nothing stored.
func (s *ActivityStore) AddActivityPost(ctx context.Context, p hookflow.ActivityPost) (*hookflow.Delivery, error) {
	webhookID, err := uuid.Parse(p.Subscription.ID)
	if err != nil {
		return nil, hookflow.ErrSubscriptionNotFound
	}
	var retryingFrom *uuid.UUID
	if p.RetryingFromID != "" {
		id, err := uuid.Parse(p.RetryingFromID)
		if err != nil {
			return nil, hookflow.ErrActivityNotFound
		}
		retryingFrom = &id
	}
	var catalogEvent *uuid.UUID
	if id, err := uuid.Parse(p.Event.ID); err == nil {
		catalogEvent = &id
	}
	if p.EventID == "" {
		p.EventID = uuid.NewString()
	}
	if p.CreatedAt.IsZero() {
		p.CreatedAt = time.Now()
	}
	var postAt *time.Time
	if p.PostAt != nil && p.PostAt.After(time.Now()) {
		postAt = p.PostAt
	}
	deliveryID := uuid.New()
	var rawMessage any
	if len(p.RawMessage) > 0 {
		rawMessage = p.RawMessage
	}
	err = pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if postAt != nil {
			// Only a post for later waits (a workflow on a timer); one due
			// now is made at once.
			limit := s.quotas.OrDefaults().PendingPostsPerSubscription
			if err := checkQuota(ctx, tx, "scheduled posts", webhookID.String(), limit, `SELECT count(*) FROM deliveries
				WHERE webhook_id = $1 AND origin = 'api' AND status = 'pending' AND attempt_count = 0 AND post_at > now()`,
				[]any{webhookID}, hookflow.ErrTooManyPendingPosts(limit)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO events (id, event_type, client_id, organization_id, payload, created_at)
			VALUES ($1, $2, $3, nullif($4, ''), $5, $6)`,
			p.EventID, p.Event.Code, p.Subscription.ClientID, p.Subscription.OrganizationID, p.Data, p.CreatedAt); err != nil {
			return fmt.Errorf("insert event: %w", unstorable(err))
		}
		_, err := tx.Exec(ctx, `INSERT INTO deliveries (id, event_id, webhook_id, event_type, client_id, url, origin,
				retrying_from_id, raw_message, catalog_event_id, post_at, next_retry_at, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, 'api', $7, $8, $9, $10, $10, nullif($11, ''))`,
			deliveryID, p.EventID, webhookID, p.Event.Code, p.Subscription.ClientID, p.Subscription.URL,
			retryingFrom, rawMessage, catalogEvent, postAt, p.CreatedBy)
		if err != nil {
			return fmt.Errorf("insert delivery: %w", unstorable(err))
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return (&DeliveryStore{pool: s.pool}).Delivery(ctx, deliveryID.String())
}

// RecordOutcome stores an outcome as a child of the post it reports on; a
// successful one settles that post's delivery (no retry is due any more).
// It returns the outcome's activity id and its delivery.
func (s *ActivityStore) RecordOutcome(ctx context.Context, subscriptionID string, o hookflow.Outcome) (string, string, error) {
	sub, err1 := uuid.Parse(subscriptionID)
	parent, err2 := uuid.Parse(o.ActivityID)
	if err1 != nil || err2 != nil {
		return "", "", hookflow.ErrActivityNotFound
	}
	var original *uuid.UUID
	if id, err := uuid.Parse(o.OriginalActivityID); err == nil {
		original = &id
	}
	id := uuid.New()
	var deliveryID uuid.UUID
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, `
			SELECT d.id FROM deliveries d WHERE d.webhook_id = $1 AND (
				d.id IN (SELECT delivery_id FROM attempts WHERE id = $2)
				OR d.id IN (SELECT delivery_id FROM activity_outcomes WHERE id = $2)
				OR d.id = $2)
			FOR UPDATE`, sub, parent).Scan(&deliveryID)
		if errors.Is(err, pgx.ErrNoRows) {
			return hookflow.ErrActivityNotFound
		}
		if err != nil {
			return fmt.Errorf("find the delivery of %s: %w", o.ActivityID, err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO activity_outcomes (id, delivery_id, retrying_from_id, original_activity_id, success,
				http_status_code, error, raw_response, created_by)
			VALUES ($1, $2, $3, $4, $5, $6, nullif($7, ''), $8, nullif($9, ''))`,
			id, deliveryID, parent, original, o.Success, o.HTTPStatusCode, o.Error, o.RawResponse, o.CreatedBy); err != nil {
			return fmt.Errorf("insert outcome: %w", unstorable(err))
		}
		if o.Success {
			if _, err := tx.Exec(ctx, `UPDATE deliveries SET status = 'succeeded', next_retry_at = NULL, updated_at = now() WHERE id = $1`,
				deliveryID); err != nil {
				return fmt.Errorf("settle delivery: %w", err)
			}
		}
		return nil
	})
	if err != nil {
		return "", "", err
	}
	return id.String(), deliveryID.String(), nil
}

// ActivityEvent finds a catalog event by id or code, preferring version
// among events of one code. live keeps only events in use (active and not
// archived, in a category in use); otherwise any event not deleted.
func (s *ActivityStore) ActivityEvent(ctx context.Context, idOrCode, version string, live bool) (*hookflow.CatalogEventRef, error) {
	var id *uuid.UUID
	if uid, err := uuid.Parse(idOrCode); err == nil {
		id = &uid
	}
	var ref hookflow.CatalogEventRef
	var eventID uuid.UUID
	err := s.pool.QueryRow(ctx, `
		SELECT e.id, e.code, e.name, e.version FROM webhook_events e JOIN webhook_categories c ON c.id = e.category_id
		WHERE (e.id = $1 OR e.code = $2) AND e.deleted_at IS NULL
		  AND (NOT $4 OR (e.active AND e.archived_at IS NULL AND c.active AND c.archived_at IS NULL AND c.deleted_at IS NULL))
		ORDER BY e.version = $3 DESC, e.created_at LIMIT 1`, id, idOrCode, version, live).Scan(&eventID, &ref.Code, &ref.Name, &ref.Version)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrCatalogEventNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("find event %s: %w", idOrCode, err)
	}
	ref.ID = eventID.String()
	return &ref, nil
}
