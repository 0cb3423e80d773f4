package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// The ECG module's activity history is read from the attempts, the reported
// outcomes and the deliveries not attempted yet, as one list of posts
// (postsOf). A delivery's first attempt takes the delivery's id, so a post
// keeps its id from the moment it is added to the moment it is made.

// postsOf is the union of a subscription's posts, with what rendering them
// needs: their delivery's event (to render a body not recorded) and the
// catalog event and subscription they refer to. $1 is the subscription.
const postsOf = `
	SELECT a.id, CASE WHEN a.manual THEN 1 WHEN a.attempt_number = 1 AND d.origin = 'api' THEN 2 ELSE 0 END AS type,
	       a.delivery_id, a.created_at AS posted_at, coalesce(a.response_status, 0) AS status, a.request_body AS payload,
	       coalesce(a.request_headers, d.raw_message) AS raw_message, a.retrying_from_id, a.next_retry_at,
	       CASE WHEN a.response_status IS NULL THEN NULL ELSE to_jsonb(coalesce(a.response_body, '')) END AS raw_response,
	       coalesce(a.error, '') AS error, a.success, coalesce(a.webhook_timestamp, 0) AS webhook_timestamp,
	       a.created_at, coalesce(d.created_by, '') AS created_by
	FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = $1
	UNION ALL
	SELECT o.id, 3, o.delivery_id, o.created_at, coalesce(o.http_status_code, 0), NULL, NULL, o.retrying_from_id, NULL,
	       o.raw_response, coalesce(o.error, ''), o.success, 0, o.created_at, coalesce(o.created_by, '')
	FROM activity_outcomes o JOIN deliveries d ON d.id = o.delivery_id WHERE d.webhook_id = $1
	UNION ALL
	SELECT d.id, CASE WHEN d.origin = 'api' THEN 2 ELSE 0 END, d.id, NULL, 0, NULL, d.raw_message, d.retrying_from_id,
	       d.next_retry_at, NULL, coalesce(d.failure_reason, ''), false, 0, d.created_at, coalesce(d.created_by, '')
	FROM deliveries d WHERE d.webhook_id = $1 AND NOT EXISTS (SELECT 1 FROM attempts x WHERE x.delivery_id = d.id)`

// postDetails joins a post (p) with what rendering it needs.
const postDetails = `
	JOIN deliveries d ON d.id = p.delivery_id
	JOIN events e ON e.id = d.event_id
	JOIN webhooks w ON w.id = d.webhook_id
	LEFT JOIN LATERAL (
		SELECT ce.id, ce.code, ce.version FROM webhook_events ce
		WHERE ce.id = d.catalog_event_id OR (d.catalog_event_id IS NULL AND ce.code = d.event_type)
		ORDER BY ce.id = d.catalog_event_id DESC NULLS LAST, ce.deleted_at IS NULL DESC, ce.version = w.version DESC, ce.created_at
		LIMIT 1) ce ON true`

const postColumns = `p.id, p.type, p.delivery_id, p.posted_at, p.status, p.payload, p.raw_message, p.retrying_from_id,
	p.next_retry_at, p.raw_response, p.error, p.success, p.webhook_timestamp, p.created_at, p.created_by,
	d.event_id, d.event_type, e.payload, e.created_at, w.id, w.url, ce.id, coalesce(ce.code, d.event_type), coalesce(ce.version, w.version)`

func scanPost(row pgx.Row, extra ...any) (hookflow.Activity, error) {
	var a hookflow.Activity
	var id, deliveryID, subID uuid.UUID
	var retryingFrom, eventRef *uuid.UUID
	var payload *string
	var ev hookflow.Event
	dest := append([]any{&id, &a.Type, &deliveryID, &a.PostedAt, &a.HTTPStatusCode, &payload, &a.RawMessage, &retryingFrom,
		&a.NextRetryAt, &a.RawResponse, &a.Error, &a.Success, &a.WebhookTimestamp, &a.CreatedAt, &a.CreatedBy,
		&ev.ID, &ev.EventType, &ev.Data, &ev.CreatedAt, &subID, &a.Subscription.PostURI, &eventRef, &a.Event.Code, &a.Event.Version}, extra...)
	if err := row.Scan(dest...); err != nil {
		return a, err
	}
	a.ID, a.DeliveryID, a.Subscription.ID = id.String(), deliveryID.String(), subID.String()
	if retryingFrom != nil {
		a.RetryingFromID = retryingFrom.String()
	}
	if eventRef != nil {
		a.Event.ID = eventRef.String()
	}
	switch {
	case payload != nil:
		a.Payload = *payload
	case a.Type != hookflow.ActivityOutcome:
		// Posts made before bodies were recorded, and posts to come: the
		// envelope is rendered the same way every time.
		body, err := ev.Envelope()
		if err != nil {
			return a, fmt.Errorf("render payload of %s: %w", a.ID, err)
		}
		a.Payload = string(body)
	}
	return a, nil
}

// listConditions starts a list's arguments with the subscription and turns
// the filter into conditions on its posts (p) or deliveries (d); succeeded
// and failed are what the status filter means for the list at hand.
func listConditions(f hookflow.ActivityFilter, succeeded, failed string) ([]any, []string, error) {
	sub, err := uuid.Parse(f.SubscriptionID)
	if err != nil {
		return nil, nil, hookflow.ErrSubscriptionNotFound
	}
	args := []any{sub}
	var where []string
	switch f.Status {
	case hookflow.ActivitySucceeded:
		where = append(where, succeeded)
	case hookflow.ActivityFailed:
		where = append(where, failed)
	}
	if f.EventCode != "" {
		args = append(args, f.EventCode)
		where = append(where, "d.event_type = $"+strconv.Itoa(len(args)))
	}
	return args, where, nil
}

// pageOf orders a list by creation time (column at, then id) and takes
// one page of it, adding the page's arguments to args.
func pageOf(p hookflow.Page, at, id string, args *[]any) string {
	dir := "ASC"
	if p.Descending {
		dir = "DESC"
	}
	*args = append(*args, p.Take, p.Skip)
	return ` ORDER BY ` + at + ` ` + dir + `, ` + id + ` ` + dir +
		` LIMIT $` + strconv.Itoa(len(*args)-1) + ` OFFSET $` + strconv.Itoa(len(*args))
}

// Activities lists a subscription's posts by creation time.
func (db *DB) Activities(ctx context.Context, f hookflow.ActivityFilter) ([]hookflow.Activity, int, error) {
	// A failed post is one made that failed; a post to come is neither.
	args, where, err := listConditions(f, "p.success", "NOT p.success AND p.posted_at IS NOT NULL")
	if err != nil {
		return nil, 0, err
	}
	cond := ""
	if len(where) > 0 {
		cond = " WHERE " + strings.Join(where, " AND ")
	}
	from := `FROM (` + postsOf + `) p` + postDetails + cond
	var total int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) `+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count activities: %w", err)
	}
	rows, err := db.pool.Query(ctx, `SELECT `+postColumns+` `+from+pageOf(f.Page, "p.created_at", "p.id", &args), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list activities: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Activity, error) { return scanPost(row) })
	if err != nil {
		return nil, 0, fmt.Errorf("list activities: %w", err)
	}
	return items, total, nil
}

// Activity loads one post of a subscription.
func (db *DB) Activity(ctx context.Context, subscriptionID, id string) (*hookflow.Activity, error) {
	sub, err1 := uuid.Parse(subscriptionID)
	uid, err2 := uuid.Parse(id)
	if err1 != nil || err2 != nil {
		return nil, hookflow.ErrActivityNotFound
	}
	// A subquery, not a CTE, so the id reaches every branch's primary key.
	a, err := scanPost(db.pool.QueryRow(ctx, `SELECT `+postColumns+` FROM (`+postsOf+`) p`+postDetails+` WHERE p.id = $2`, sub, uid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrActivityNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load activity %s: %w", id, err)
	}
	return &a, nil
}

// ActivityTree loads a post and its descendants by retryingFromPostId, the
// post first, then the others in time order, each with its Level.
func (db *DB) ActivityTree(ctx context.Context, subscriptionID, id string) ([]hookflow.Activity, error) {
	sub, err1 := uuid.Parse(subscriptionID)
	root, err2 := uuid.Parse(id)
	if err1 != nil || err2 != nil {
		return nil, hookflow.ErrActivityNotFound
	}
	// The tree is walked by id through the retrying_from_id indexes; only
	// its posts are rendered, each found by its primary key.
	rows, err := db.pool.Query(ctx, `
		WITH RECURSIVE tree (id, level) AS (
			SELECT $2::uuid, 1
			UNION ALL
			SELECT c.id, t.level + 1 FROM tree t CROSS JOIN LATERAL (
				SELECT a.id FROM attempts a WHERE a.retrying_from_id = t.id
				UNION ALL
				SELECT o.id FROM activity_outcomes o WHERE o.retrying_from_id = t.id
				UNION ALL
				SELECT d.id FROM deliveries d WHERE d.retrying_from_id = t.id
				  AND NOT EXISTS (SELECT 1 FROM attempts x WHERE x.delivery_id = d.id)) c
		)
		SELECT `+postColumns+`, tree.level FROM (`+postsOf+`) p JOIN tree ON tree.id = p.id`+postDetails+`
		ORDER BY tree.level = 1 DESC, p.created_at, p.id`, sub, root)
	if err != nil {
		return nil, fmt.Errorf("load activity %s: %w", id, err)
	}
	tree, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Activity, error) {
		var level int
		a, err := scanPost(row, &level)
		a.Level = level
		return a, err
	})
	if err != nil {
		return nil, fmt.Errorf("load activity %s: %w", id, err)
	}
	if len(tree) == 0 {
		return nil, hookflow.ErrActivityNotFound
	}
	return tree, nil
}

// activationFrom renders a delivery (d) as its first post (fa), with the
// latest post's answer (la).
const activationFrom = `
	FROM deliveries d
	LEFT JOIN LATERAL (SELECT a.id FROM attempts a WHERE a.delivery_id = d.id ORDER BY a.attempt_number LIMIT 1) fa ON true
	LEFT JOIN LATERAL (SELECT a.response_status, a.response_body, a.error FROM attempts a WHERE a.delivery_id = d.id
	                   ORDER BY a.attempt_number DESC LIMIT 1) la ON true`

const activationColumns = `coalesce(fa.id, d.id), d.status, d.next_retry_at, la.response_status, la.response_body, la.error`

// activationRow is what a delivery adds to its first post.
type activationRow struct {
	firstID    uuid.UUID
	status     string
	nextRetry  *time.Time
	lastStatus *int
	lastBody   *string
	lastError  *string
}

func scanActivationRow(row pgx.Row) (activationRow, error) {
	var r activationRow
	err := row.Scan(&r.firstID, &r.status, &r.nextRetry, &r.lastStatus, &r.lastBody, &r.lastError)
	return r, err
}

// apply turns the first post into the activation: the delivery's success
// and next retry, the latest post's answer.
func (r activationRow) apply(first *hookflow.Activity) {
	first.Success = r.status == string(hookflow.StatusSucceeded)
	first.NextRetryAt = r.nextRetry
	if r.lastStatus == nil && r.lastError == nil {
		return
	}
	first.HTTPStatusCode, first.Error, first.RawResponse = 0, "", nil
	if r.lastStatus != nil {
		first.HTTPStatusCode = *r.lastStatus
		body := ""
		if r.lastBody != nil {
			body = *r.lastBody
		}
		first.RawResponse, _ = json.Marshal(body)
	}
	if r.lastError != nil {
		first.Error = *r.lastError
	}
}

// postsByID loads posts of the subscription by id, in one query.
func (db *DB) postsByID(ctx context.Context, sub uuid.UUID, ids []uuid.UUID) (map[string]hookflow.Activity, error) {
	rows, err := db.pool.Query(ctx, `SELECT `+postColumns+` FROM (`+postsOf+`) p`+postDetails+` WHERE p.id = ANY($2)`, sub, ids)
	if err != nil {
		return nil, fmt.Errorf("load posts: %w", err)
	}
	posts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Activity, error) { return scanPost(row) })
	if err != nil {
		return nil, fmt.Errorf("load posts: %w", err)
	}
	out := make(map[string]hookflow.Activity, len(posts))
	for _, p := range posts {
		out[p.ID] = p
	}
	return out, nil
}

// activations renders the deliveries a query over activationFrom selects,
// in its order.
func (db *DB) activations(ctx context.Context, sub uuid.UUID, query string, args ...any) ([]hookflow.Activity, error) {
	rows, err := db.pool.Query(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list activations: %w", err)
	}
	found, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (activationRow, error) { return scanActivationRow(row) })
	if err != nil {
		return nil, fmt.Errorf("list activations: %w", err)
	}
	ids := make([]uuid.UUID, 0, len(found))
	for _, r := range found {
		ids = append(ids, r.firstID)
	}
	posts, err := db.postsByID(ctx, sub, ids)
	if err != nil {
		return nil, err
	}
	out := make([]hookflow.Activity, 0, len(found))
	for _, r := range found {
		first, ok := posts[r.firstID.String()]
		if !ok {
			continue // purged between the two reads
		}
		r.apply(&first)
		out = append(out, first)
	}
	return out, nil
}

// Activations lists a subscription's deliveries, each as its first post.
func (db *DB) Activations(ctx context.Context, f hookflow.ActivityFilter) ([]hookflow.Activity, int, error) {
	args, where, err := listConditions(f, "d.status = 'succeeded'", "d.status <> 'succeeded' AND d.attempt_count > 0")
	if err != nil {
		return nil, 0, err
	}
	cond := " WHERE " + strings.Join(append([]string{"d.webhook_id = $1"}, where...), " AND ")
	var total int
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries d`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count activations: %w", err)
	}
	out, err := db.activations(ctx, args[0].(uuid.UUID),
		`SELECT `+activationColumns+activationFrom+cond+pageOf(f.Page, "d.created_at", "d.id", &args), args...)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Activation loads a delivery of the subscription by its first post's id
// (or its own, before the first post), as that post with the delivery's
// success, next retry and latest answer.
func (db *DB) Activation(ctx context.Context, subscriptionID, id string) (*hookflow.Activity, error) {
	sub, err1 := uuid.Parse(subscriptionID)
	uid, err2 := uuid.Parse(id)
	if err1 != nil || err2 != nil {
		return nil, hookflow.ErrActivationNotFound
	}
	out, err := db.activations(ctx, sub, `SELECT `+activationColumns+activationFrom+
		` WHERE d.webhook_id = $1 AND (d.id = $2 OR fa.id = $2)`, sub, uid)
	if err != nil {
		return nil, fmt.Errorf("load activation %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, hookflow.ErrActivationNotFound
	}
	return &out[0], nil
}

// AddActivityPost stores a post added through the API: an event carrying
// the data and its one delivery to the subscription, due at PostAt when
// that is in the future. The caller starts the delivery's workflow.
func (db *DB) AddActivityPost(ctx context.Context, p hookflow.ActivityPost) (*hookflow.Delivery, error) {
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
	err = pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
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
	return db.Delivery(ctx, deliveryID.String())
}

// RecordOutcome stores an outcome as a child of the post it reports on; a
// successful one settles that post's delivery (no retry is due any more).
// It returns the outcome's activity id and its delivery.
func (db *DB) RecordOutcome(ctx context.Context, subscriptionID string, o hookflow.Outcome) (string, string, error) {
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
	err := pgx.BeginFunc(ctx, db.pool, func(tx pgx.Tx) error {
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

// ActivityDelivery finds the delivery a post of the subscription belongs to.
func (db *DB) ActivityDelivery(ctx context.Context, subscriptionID, activityID string) (*hookflow.Delivery, error) {
	a, err := db.Activity(ctx, subscriptionID, activityID)
	if err != nil {
		return nil, err
	}
	return db.Delivery(ctx, a.DeliveryID)
}

// ActivityEvent finds a catalog event by id or code, preferring version
// among events of one code. live keeps only events in use (active and not
// archived, in a category in use); otherwise any event not deleted.
func (db *DB) ActivityEvent(ctx context.Context, idOrCode, version string, live bool) (*hookflow.CatalogEventRef, error) {
	var id *uuid.UUID
	if uid, err := uuid.Parse(idOrCode); err == nil {
		id = &uid
	}
	var ref hookflow.CatalogEventRef
	var eventID uuid.UUID
	err := db.pool.QueryRow(ctx, `
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
