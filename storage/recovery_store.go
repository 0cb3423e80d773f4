package storage

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
)

// StrandedDeliveries lists, in pages ordered by due time, the deliveries
// that are not settled and were due before dueBefore: a pending one is due
// from its creation, a retrying one from its next retry. A live workflow
// makes such a delivery's attempt on time, so these are the ones whose
// workflow may have never started or may have died. Deliveries in a long
// backoff are outside the index range read.
func (s *DeliveryStore) StrandedDeliveries(ctx context.Context, dueBefore time.Time, after hookflow.DueCursor, limit int) ([]hookflow.Delivery, error) {
	args := []any{dueBefore, limit}
	keyset := ""
	if after.ID != "" {
		keyset = ` AND (coalesce(d.next_retry_at, d.created_at), d.id) > ($3, $4::uuid)`
		args = append(args, after.Due, after.ID)
	}
	rows, err := s.pool.Query(ctx, `SELECT `+deliveryColumns+` FROM deliveries d JOIN webhooks w ON w.id = d.webhook_id
		WHERE d.status IN ('pending', 'retrying') AND coalesce(d.next_retry_at, d.created_at) < $1`+keyset+`
		ORDER BY coalesce(d.next_retry_at, d.created_at), d.id LIMIT $2`, args...)
	if err != nil {
		return nil, fmt.Errorf("list stranded deliveries: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (hookflow.Delivery, error) { return scanDelivery(row) })
	if err != nil {
		return nil, fmt.Errorf("list stranded deliveries: %w", err)
	}
	return out, nil
}
