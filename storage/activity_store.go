package storage

import (
	"context"
	"errors"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"strconv"
	"strings"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/sealing"
)

// ActivityStore keeps organization subscriptions' activity: posts, their outcomes and activations.
type ActivityStore struct {
	pool   *pgxpool.Pool
	ring   *sealing.KeyRing // opens the custom headers an attempt recorded
	quotas hookflow.Quotas  // see WithQuotas
}

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
	       coalesce(a.request_headers, d.raw_message) AS raw_message, a.sealed_custom_headers, a.retrying_from_id, a.next_retry_at,
	       CASE WHEN a.response_status IS NULL THEN NULL ELSE to_jsonb(coalesce(a.response_body, '')) END AS raw_response,
	       coalesce(a.error, '') AS error, a.success, coalesce(a.webhook_timestamp, 0) AS webhook_timestamp,
	       a.created_at, coalesce(d.created_by, '') AS created_by
	FROM attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.webhook_id = $1
	UNION ALL
	SELECT o.id, 3, o.delivery_id, o.created_at, coalesce(o.http_status_code, 0), NULL, NULL, NULL, o.retrying_from_id, NULL,
	       o.raw_response, coalesce(o.error, ''), o.success, 0, o.created_at, coalesce(o.created_by, '')
	FROM activity_outcomes o JOIN deliveries d ON d.id = o.delivery_id WHERE d.webhook_id = $1
	UNION ALL
	SELECT d.id, CASE WHEN d.origin = 'api' THEN 2 ELSE 0 END, d.id, NULL, 0, NULL, d.raw_message, NULL, d.retrying_from_id,
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

const postColumns = `p.id, p.type, p.delivery_id, p.posted_at, p.status, p.payload, p.raw_message, p.sealed_custom_headers, p.retrying_from_id,
	p.next_retry_at, p.raw_response, p.error, p.success, p.webhook_timestamp, p.created_at, p.created_by,
	d.event_id, d.event_type, e.payload, e.created_at, w.id, w.url, ce.id, coalesce(ce.code, d.event_type), coalesce(ce.version, w.version)`

func scanPost(ring *sealing.KeyRing, row pgx.Row, extra ...any) (hookflow.Activity, error) {
	var a hookflow.Activity
	var id, deliveryID, subID uuid.UUID
	var retryingFrom, eventRef *uuid.UUID
	var payload, sealedCustom *string
	var ev hookflow.Event
	dest := append([]any{&id, &a.Type, &deliveryID, &a.PostedAt, &a.HTTPStatusCode, &payload, &a.RawMessage, &sealedCustom, &retryingFrom,
		&a.NextRetryAt, &a.RawResponse, &a.Error, &a.Success, &a.WebhookTimestamp, &a.CreatedAt, &a.CreatedBy,
		&ev.ID, &ev.EventType, &ev.Data, &ev.CreatedAt, &subID, &a.Subscription.PostURI, &eventRef, &a.Event.Code, &a.Event.Version}, extra...)
	if err := row.Scan(dest...); err != nil {
		return a, err
	}
	a.ID, a.DeliveryID, a.Subscription.ID = id.String(), deliveryID.String(), subID.String()
	raw, err := withRecordedHeaders(ring, deliveryID, a.RawMessage, sealedCustom)
	if err != nil {
		return a, err
	}
	a.RawMessage = raw
	if retryingFrom != nil {
		a.RetryingFromID = retryingFrom.String()
	}
	if eventRef != nil {
		a.Event.ID = eventRef.String()
	}
	switch {
	case payload != nil:
		a.Payload = *payload
	case ev.Data == nil:
		// Not read: past a tree read's payload budget (ActivityTree).
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
func (s *ActivityStore) Activities(ctx context.Context, f hookflow.ActivityFilter) ([]hookflow.Activity, int, error) {
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
	if err := s.pool.QueryRow(ctx, `SELECT count(*) `+from, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count activities: %w", err)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+postColumns+` `+from+pageOf(f.Page, "p.created_at", "p.id", &args), args...)
	if err != nil {
		return nil, 0, fmt.Errorf("list activities: %w", err)
	}
	items, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Activity, error) { return scanPost(s.ring, row) })
	if err != nil {
		return nil, 0, fmt.Errorf("list activities: %w", err)
	}
	return items, total, nil
}

// Activity loads one post of a subscription.
func (s *ActivityStore) Activity(ctx context.Context, subscriptionID, id string) (*hookflow.Activity, error) {
	sub, err1 := uuid.Parse(subscriptionID)
	uid, err2 := uuid.Parse(id)
	if err1 != nil || err2 != nil {
		return nil, hookflow.ErrActivityNotFound
	}
	// A subquery, not a CTE, so the id reaches every branch's primary key.
	a, err := scanPost(s.ring, s.pool.QueryRow(ctx, `SELECT `+postColumns+` FROM (`+postsOf+`) p`+postDetails+` WHERE p.id = $2`, sub, uid))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, hookflow.ErrActivityNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("load activity %s: %w", id, err)
	}
	return &a, nil
}

// treePostColumns are postColumns with the payloads (the recorded body and
// the event a body is rendered from) read only while the page's running
// total stays within $6 bytes, the requested post's always; the last column
// says a payload was left out.
var treePostColumns = strings.NewReplacer(
	"p.payload,", "CASE WHEN NOT "+payloadOverBudget+" THEN p.payload END,",
	"e.payload,", "CASE WHEN NOT "+payloadOverBudget+" THEN e.payload END,",
).Replace(postColumns) + `, p.type <> 3 AND ` + payloadOverBudget

// payloadOverBudget tells a descendant whose payload would take the page's
// payloads past the budget ($6), in the page's order.
const payloadOverBudget = `(picked.level > 1 AND sum(CASE WHEN p.type = 3 THEN 0 ELSE octet_length(coalesce(p.payload, e.payload::text)) END)
	OVER (ORDER BY picked.level = 1 DESC, p.created_at, p.id) > $6)`

// ActivityTree loads a post and one page of its descendants by
// retryingFromPostId: the post first, then the page of descendants in time
// order, each with its Level, and how many descendants there are. The walk
// stops at hookflow.MaxActivityTreeDepth levels, and payloads past
// hookflow.MaxActivityTreePayloadBytes in all are left out
// (PayloadOmitted), so one read holds at most a page however large the
// tree: the database walks the tree by id, only the page is rendered.
func (s *ActivityStore) ActivityTree(ctx context.Context, subscriptionID, id string, page hookflow.Page) ([]hookflow.Activity, int, error) {
	sub, err1 := uuid.Parse(subscriptionID)
	root, err2 := uuid.Parse(id)
	if err1 != nil || err2 != nil {
		return nil, 0, hookflow.ErrActivityNotFound
	}
	take := page.Take
	if take <= 0 || take > hookflow.MaxActivityTreeTake {
		take = hookflow.MaxActivityTreeTake
	}
	// The tree is walked by id through the retrying_from_id indexes; only
	// the page's posts are rendered, each found by its primary key.
	rows, err := s.pool.Query(ctx, `
		WITH RECURSIVE tree (id, level, created_at) AS (
			SELECT $2::uuid, 1, '-infinity'::timestamptz
			UNION ALL
			SELECT c.id, t.level + 1, c.created_at FROM tree t CROSS JOIN LATERAL (
				SELECT a.id, a.created_at FROM attempts a WHERE a.retrying_from_id = t.id
				UNION ALL
				SELECT o.id, o.created_at FROM activity_outcomes o WHERE o.retrying_from_id = t.id
				UNION ALL
				SELECT d.id, d.created_at FROM deliveries d WHERE d.retrying_from_id = t.id
				  AND NOT EXISTS (SELECT 1 FROM attempts x WHERE x.delivery_id = d.id)) c
			WHERE t.level < $3
		), picked AS (
			SELECT id, level FROM tree WHERE level = 1
			UNION ALL
			(SELECT id, level FROM tree WHERE level > 1 ORDER BY created_at, id LIMIT $4 OFFSET $5)
		)
		SELECT `+treePostColumns+`, picked.level, (SELECT count(*) FROM tree WHERE level > 1)
		FROM (`+postsOf+`) p JOIN picked ON picked.id = p.id`+postDetails+`
		ORDER BY picked.level = 1 DESC, p.created_at, p.id`,
		sub, root, hookflow.MaxActivityTreeDepth, take, max(page.Skip, 0), hookflow.MaxActivityTreePayloadBytes)
	if err != nil {
		return nil, 0, fmt.Errorf("load activity %s: %w", id, err)
	}
	var total int
	tree, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Activity, error) {
		var level int
		var omitted bool
		a, err := scanPost(s.ring, row, &omitted, &level, &total)
		a.Level, a.PayloadOmitted = level, omitted
		if omitted {
			a.Payload = ""
		}
		return a, err
	})
	if err != nil {
		return nil, 0, fmt.Errorf("load activity %s: %w", id, err)
	}
	if len(tree) == 0 || tree[0].Level != 1 {
		return nil, 0, hookflow.ErrActivityNotFound
	}
	return tree, total, nil
}
