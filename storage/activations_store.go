package storage

// Activations: a subscription's deliveries, each shown as its first post.

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

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
func (s *ActivityStore) postsByID(ctx context.Context, sub uuid.UUID, ids []uuid.UUID) (map[string]hookflow.Activity, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+postColumns+` FROM (`+postsOf+`) p`+postDetails+` WHERE p.id = ANY($2)`, sub, ids)
	if err != nil {
		return nil, fmt.Errorf("load posts: %w", err)
	}
	posts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Activity, error) { return scanPost(s.ring, row) })
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
func (s *ActivityStore) activations(ctx context.Context, sub uuid.UUID, query string, args ...any) ([]hookflow.Activity, error) {
	rows, err := s.pool.Query(ctx, query, args...)
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
	posts, err := s.postsByID(ctx, sub, ids)
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
func (s *ActivityStore) Activations(ctx context.Context, f hookflow.ActivityFilter) ([]hookflow.Activity, int, error) {
	args, where, err := listConditions(f, "d.status = 'succeeded'", "d.status <> 'succeeded' AND d.attempt_count > 0")
	if err != nil {
		return nil, 0, err
	}
	cond := " WHERE " + strings.Join(append([]string{"d.webhook_id = $1"}, where...), " AND ")
	var total int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries d`+cond, args...).Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count activations: %w", err)
	}
	out, err := s.activations(ctx, args[0].(uuid.UUID),
		`SELECT `+activationColumns+activationFrom+cond+pageOf(f.Page, "d.created_at", "d.id", &args), args...)
	if err != nil {
		return nil, 0, err
	}
	return out, total, nil
}

// Activation loads a delivery of the subscription by its first post's id
// (or its own, before the first post), as that post with the delivery's
// success, next retry and latest answer.
func (s *ActivityStore) Activation(ctx context.Context, subscriptionID, id string) (*hookflow.Activity, error) {
	sub, err1 := uuid.Parse(subscriptionID)
	uid, err2 := uuid.Parse(id)
	if err1 != nil || err2 != nil {
		return nil, hookflow.ErrActivationNotFound
	}
	out, err := s.activations(ctx, sub, `SELECT `+activationColumns+activationFrom+
		` WHERE d.webhook_id = $1 AND (d.id = $2 OR fa.id = $2)`, sub, uid)
	if err != nil {
		return nil, fmt.Errorf("load activation %s: %w", id, err)
	}
	if len(out) == 0 {
		return nil, hookflow.ErrActivationNotFound
	}
	return &out[0], nil
}
