package storage

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5"

	"github.com/hookflow/hookflow"
	"github.com/hookflow/hookflow/filter"
)

// WithQuotas returns the stores with q's quotas (hookflow.Quotas; zero
// fields keep their defaults) on the stores that enforce them. The stores
// are copied, so s keeps its own.
func (s Stores) WithQuotas(q hookflow.Quotas) Stores {
	q = q.OrDefaults()
	webhooks, subscriptions, activity, events := *s.Webhooks, *s.Subscriptions, *s.Activity, *s.Events
	webhooks.quotas, subscriptions.quotas, activity.quotas, events.quotas = q, q, q, q
	s.Webhooks, s.Subscriptions, s.Activity, s.Events = &webhooks, &subscriptions, &activity, &events
	return s
}

// WithLogger returns the stores with the event store logging the filters
// that fail at publish time (counted as not matching) to logger.
func (s Stores) WithLogger(logger *slog.Logger) Stores {
	events := *s.Events
	events.filters = filter.NewMatcher(filter.DefaultCacheSize, logger)
	s.Events = &events
	return s
}

// A quota is counted and the row inserted in one transaction that holds a
// transaction-level advisory lock on what the quota counts (a client, an
// organization, a subscription): two creates racing at the limit take
// turns, so the second counts the first's row. The lock goes with the
// transaction, whichever way it ends.

// lockQuota takes the advisory lock of one counted thing; scope keeps the
// quotas' key spaces apart.
func lockQuota(ctx context.Context, tx pgx.Tx, scope, key string) error {
	if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(hashtextextended($1, 0))`, scope+":"+key); err != nil {
		return fmt.Errorf("lock %s quota of %s: %w", scope, key, err)
	}
	return nil
}

// checkQuota locks key's quota and refuses with tooMany when count (a
// query over $1 = key) has reached limit.
func checkQuota(ctx context.Context, tx pgx.Tx, scope, key string, limit int, count string, args []any, tooMany error) error {
	if err := lockQuota(ctx, tx, scope, key); err != nil {
		return err
	}
	var n int
	if err := tx.QueryRow(ctx, count, args...).Scan(&n); err != nil {
		return fmt.Errorf("count %s quota of %s: %w", scope, key, err)
	}
	if n >= limit {
		return tooMany
	}
	return nil
}
