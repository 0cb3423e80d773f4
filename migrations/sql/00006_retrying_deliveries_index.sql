-- +goose NO TRANSACTION
-- The metrics endpoint counts the retry backlog on every scrape; a partial
-- index over the few retrying deliveries keeps that count cheap.
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_retrying ON deliveries (next_retry_at) WHERE status = 'retrying';

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS deliveries_retrying;
