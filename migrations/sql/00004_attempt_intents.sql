-- +goose NO TRANSACTION
-- An attempt's intent is written before its POST and completed after it, so
-- that a POST whose recording fails is never made again unrecorded: the retry
-- completes the same row. `attempts` keeps only completed attempts, so the
-- logs never show an attempt whose outcome is not known yet.
-- +goose Up
CREATE TABLE IF NOT EXISTS attempt_intents (
    id           uuid PRIMARY KEY,
    delivery_id  uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    -- The workflow run and its step: a re-run of the step finds its row.
    key          text NOT NULL UNIQUE,
    manual       boolean NOT NULL,
    url          text NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    completed_at timestamptz
);
CREATE INDEX IF NOT EXISTS attempt_intents_delivery ON attempt_intents (delivery_id);

-- The recovery sweep looks at unsettled deliveries that are due (a pending
-- one since its creation, a retrying one since its next retry); deliveries
-- in a long backoff stay outside the range it reads.
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_unsettled_due ON deliveries ((coalesce(next_retry_at, created_at)), id)
    WHERE status IN ('pending', 'retrying');
DROP INDEX CONCURRENTLY IF EXISTS deliveries_unattempted;

-- +goose Down
CREATE INDEX CONCURRENTLY IF NOT EXISTS deliveries_unattempted ON deliveries (created_at) WHERE status = 'pending' AND attempt_count = 0;
DROP INDEX CONCURRENTLY IF EXISTS deliveries_unsettled_due;
DROP TABLE IF EXISTS attempt_intents;
