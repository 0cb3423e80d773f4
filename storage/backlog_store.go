package storage

import (
	"context"
	"fmt"
)

// CountRetrying counts deliveries waiting for their next attempt. The
// partial index deliveries_retrying keeps it an index-only count of the
// backlog, however many settled deliveries the table holds.
func (s *DeliveryStore) CountRetrying(ctx context.Context) (int64, error) {
	var n int64
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM deliveries WHERE status = 'retrying'`).Scan(&n); err != nil {
		return 0, fmt.Errorf("count retrying deliveries: %w", err)
	}
	return n, nil
}
