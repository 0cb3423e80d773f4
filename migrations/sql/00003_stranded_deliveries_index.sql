-- +goose NO TRANSACTION
-- The stranded-delivery sweep looks only at deliveries that never made an
-- attempt; a partial index keeps that cheap however large the table grows.
-- +goose Up
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_unattempted ON deliveries (created_at) WHERE status = 'pending' AND attempt_count = 0;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS deliveries_unattempted;
