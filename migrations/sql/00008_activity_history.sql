-- +goose NO TRANSACTION
-- The ECG module's activity history over deliveries and attempts: each post
-- keeps the exact body and the headers it sent (signatures, no secrets) and
-- its webhook-timestamp, so a post can be shown and its hash recomputed;
-- deliveries added through the API remember how (origin, the post they
-- retry, the client's rawMessage, the catalog event, when to post); outcomes
-- that receivers report later are rows of their own. NO TRANSACTION: the
-- index on attempts is built CONCURRENTLY, since the table may be large; every
-- statement is safe to run again.
-- +goose Up
ALTER TABLE attempt_intents
    ADD COLUMN IF NOT EXISTS request_body      text,
    ADD COLUMN IF NOT EXISTS request_headers   jsonb,
    ADD COLUMN IF NOT EXISTS webhook_timestamp bigint;
ALTER TABLE attempts
    ADD COLUMN IF NOT EXISTS request_body      text,
    ADD COLUMN IF NOT EXISTS request_headers   jsonb,
    ADD COLUMN IF NOT EXISTS webhook_timestamp bigint;
ALTER TABLE deliveries
    ADD COLUMN IF NOT EXISTS origin           text NOT NULL DEFAULT 'event',
    ADD COLUMN IF NOT EXISTS retrying_from_id uuid,
    ADD COLUMN IF NOT EXISTS raw_message      jsonb,
    ADD COLUMN IF NOT EXISTS catalog_event_id uuid,
    ADD COLUMN IF NOT EXISTS post_at          timestamptz,
    ADD COLUMN IF NOT EXISTS created_by       text;

-- An outcome a receiver reported after the post (an asynchronous ack or
-- nack): a child of the activity it reports on.
CREATE TABLE IF NOT EXISTS activity_outcomes (
    id               uuid PRIMARY KEY,
    delivery_id      uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    retrying_from_id uuid NOT NULL,
    -- The post the receiver's outcome is about, as the client named it.
    original_activity_id uuid,
    success          boolean NOT NULL,
    http_status_code integer,
    error            text,
    raw_response     jsonb,
    created_at       timestamptz NOT NULL DEFAULT now(),
    created_by       text
);
CREATE INDEX IF NOT EXISTS activity_outcomes_delivery ON activity_outcomes (delivery_id, created_at);
CREATE INDEX IF NOT EXISTS activity_outcomes_parent ON activity_outcomes (retrying_from_id);

-- The activity tree follows retrying_from_id downwards.
CREATE INDEX CONCURRENTLY IF NOT EXISTS attempts_retrying_from ON attempts (retrying_from_id) WHERE retrying_from_id IS NOT NULL;
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_retrying_from ON deliveries (retrying_from_id) WHERE retrying_from_id IS NOT NULL;

-- +goose Down
DROP INDEX CONCURRENTLY IF EXISTS deliveries_retrying_from;
DROP INDEX CONCURRENTLY IF EXISTS attempts_retrying_from;
DROP TABLE IF EXISTS activity_outcomes;
ALTER TABLE deliveries
    DROP COLUMN IF EXISTS origin, DROP COLUMN IF EXISTS retrying_from_id, DROP COLUMN IF EXISTS raw_message,
    DROP COLUMN IF EXISTS catalog_event_id, DROP COLUMN IF EXISTS post_at, DROP COLUMN IF EXISTS created_by;
ALTER TABLE attempts
    DROP COLUMN IF EXISTS request_body, DROP COLUMN IF EXISTS request_headers, DROP COLUMN IF EXISTS webhook_timestamp;
ALTER TABLE attempt_intents
    DROP COLUMN IF EXISTS request_body, DROP COLUMN IF EXISTS request_headers, DROP COLUMN IF EXISTS webhook_timestamp;
