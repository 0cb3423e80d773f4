package storage

import (
	"context"
	"fmt"
	"github.com/jackc/pgx/v5/pgxpool"
	"time"
)

// RetentionStore purges delivery logs and events past the retention period.
type RetentionStore struct {
	pool *pgxpool.Pool
}

// PurgeCounts says how many rows a purge removes (or would remove).
type PurgeCounts struct {
	Deliveries int64
	Attempts   int64
	Events     int64
}

// settledBefore selects settled deliveries created before the cutoff; a
// delivery still pending or retrying is never purged.
const settledBefore = `created_at < $1 AND status IN ('succeeded', 'failed')`

// PurgeDeliveries deletes at most limit settled deliveries created before
// cutoff, with their attempts, in one short transaction.
func (s *RetentionStore) PurgeDeliveries(ctx context.Context, cutoff time.Time, limit int) (deliveries, attempts int64, err error) {
	err = s.pool.QueryRow(ctx, `
		WITH doomed AS (
			SELECT id FROM deliveries WHERE `+settledBefore+` ORDER BY created_at LIMIT $2
		), gone_attempts AS (
			DELETE FROM attempts WHERE delivery_id IN (SELECT id FROM doomed) RETURNING 1
		), gone AS (
			DELETE FROM deliveries WHERE id IN (SELECT id FROM doomed) RETURNING 1
		)
		SELECT (SELECT count(*) FROM gone), (SELECT count(*) FROM gone_attempts)`, cutoff, limit).Scan(&deliveries, &attempts)
	if err != nil {
		return 0, 0, fmt.Errorf("purge deliveries before %s: %w", cutoff.Format(time.RFC3339), err)
	}
	return deliveries, attempts, nil
}

// PurgeEvents deletes at most limit events created before cutoff that no
// delivery refers to any more.
func (s *RetentionStore) PurgeEvents(ctx context.Context, cutoff time.Time, limit int) (int64, error) {
	tag, err := s.pool.Exec(ctx, `
		DELETE FROM events WHERE id IN (
			SELECT e.id FROM events e
			WHERE e.created_at < $1 AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_id = e.id)
			ORDER BY e.created_at LIMIT $2)`, cutoff, limit)
	if err != nil {
		return 0, fmt.Errorf("purge events before %s: %w", cutoff.Format(time.RFC3339), err)
	}
	return tag.RowsAffected(), nil
}

// PurgeCandidates counts what a purge at cutoff would delete.
func (s *RetentionStore) PurgeCandidates(ctx context.Context, cutoff time.Time) (PurgeCounts, error) {
	var c PurgeCounts
	err := s.pool.QueryRow(ctx, `
		WITH doomed AS (SELECT id, event_id FROM deliveries WHERE `+settledBefore+`)
		SELECT (SELECT count(*) FROM doomed),
		       (SELECT count(*) FROM attempts WHERE delivery_id IN (SELECT id FROM doomed)),
		       (SELECT count(*) FROM events e WHERE e.created_at < $1 AND NOT EXISTS (
		            SELECT 1 FROM deliveries d WHERE d.event_id = e.id AND d.id NOT IN (SELECT id FROM doomed)))`,
		cutoff).Scan(&c.Deliveries, &c.Attempts, &c.Events)
	if err != nil {
		return c, fmt.Errorf("count purge candidates: %w", err)
	}
	return c, nil
}
