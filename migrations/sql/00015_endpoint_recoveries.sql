-- +goose NO TRANSACTION
-- Bulk recovers of an endpoint (issue 19): one row per recover, its window
-- and filters as asked, its progress as the background workflow pages
-- through the matching deliveries. The cursor (created_at, id of the last
-- delivery handled) moves with the counters in one statement, so a batch
-- retried after a crash neither skips nor counts twice.
-- +goose Up
CREATE TABLE IF NOT EXISTS endpoint_recoveries (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- The caller's Idempotency-Key; NULL: every call is a new recover.
    idempotency_key text,
    state           text NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'completed', 'failed')),
    since           timestamptz NOT NULL,
    until           timestamptz NOT NULL,
    event_type      text,
    -- failed or retrying; NULL: both.
    status          text CHECK (status IN ('failed', 'retrying')),
    found           integer NOT NULL DEFAULT 0,
    redriven        integer NOT NULL DEFAULT 0,
    woken           integer NOT NULL DEFAULT 0,
    skipped         integer NOT NULL DEFAULT 0,
    errors          integer NOT NULL DEFAULT 0,
    cursor_created  timestamptz,
    cursor_id       uuid,
    failure_reason  text,
    created_by      text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz,
    UNIQUE (webhook_id, idempotency_key)
);

-- An endpoint's stats read the attempts of its deliveries touched in the
-- last day: every attempt moves its delivery's updated_at, so this index
-- finds them without reading the webhook's whole retention.
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_webhook_updated ON deliveries (webhook_id, updated_at);

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS deliveries_webhook_updated;
DROP TABLE IF EXISTS endpoint_recoveries;
