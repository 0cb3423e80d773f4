// Package storage keeps Hookflow's state in PostgreSQL through pgx. It owns
// every SQL statement; callers get domain types and domain errors.
package storage

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/hookflow/hookflow/filter"
	"github.com/hookflow/hookflow/sealing"
)

// DB is the connection pool every store shares.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to PostgreSQL and checks that it answers.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		// pgx echoes the URL, password included, so say less.
		return nil, fmt.Errorf("parse HOOKFLOW_DATABASE_URL: invalid connection string")
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open database pool: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.Ping(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return db, nil
}

// Pool exposes the pool to the migration runner.
func (db *DB) Pool() *pgxpool.Pool { return db.pool }

// Ping checks that the database answers a query.
func (db *DB) Ping(ctx context.Context) error {
	if err := db.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping database: %w", err)
	}
	return nil
}

// Close waits for queries in flight and closes every connection.
func (db *DB) Close() { db.pool.Close() }

// Stores holds one store per aggregate, all on the same pool. main builds it
// once and hands each consumer only the stores it uses.
type Stores struct {
	Webhooks       *WebhookStore
	Deliveries     *DeliveryStore
	Events         *EventStore
	Logs           *LogStore
	Catalog        *CatalogStore
	SamplePayloads *SamplePayloadStore
	Subscriptions  *SubscriptionStore
	Secrets        *SecretStore
	Activity       *ActivityStore
	Retention      *RetentionStore
	// EndpointChanges is the outbox of endpoint state changes.
	EndpointChanges *EndpointChangeStore
	Endpoints       *EndpointStore
	Recoveries      *RecoveryStore
}

// Stores returns the per-aggregate stores on db's pool; the stores that
// keep or read secrets seal and open them with ring.
func (db *DB) Stores(ring *sealing.KeyRing) Stores {
	return Stores{
		Webhooks:        &WebhookStore{pool: db.pool, ring: ring},
		Deliveries:      &DeliveryStore{pool: db.pool, ring: ring},
		Events:          &EventStore{pool: db.pool, filters: filter.NewMatcher(filter.DefaultCacheSize, slog.Default())},
		Logs:            &LogStore{pool: db.pool},
		Catalog:         &CatalogStore{pool: db.pool},
		SamplePayloads:  &SamplePayloadStore{pool: db.pool},
		Subscriptions:   &SubscriptionStore{pool: db.pool, ring: ring},
		Secrets:         &SecretStore{pool: db.pool, ring: ring},
		Activity:        &ActivityStore{pool: db.pool, ring: ring},
		Retention:       &RetentionStore{pool: db.pool},
		EndpointChanges: &EndpointChangeStore{pool: db.pool},
		Endpoints:       &EndpointStore{pool: db.pool},
		Recoveries:      &RecoveryStore{pool: db.pool},
	}
}
