-- Endpoint health (issue 19). The state of an endpoint is one row that every
-- attempt to it consults (see the README's "Endpoint health"): its circuit,
-- the run of failures that may disable it, and its rate-limit slot. No row
-- means a healthy endpoint with a closed circuit, so healthy endpoints cost
-- no writes.
-- +goose Up
-- Deliveries per second an endpoint accepts; NULL: unlimited.
ALTER TABLE webhooks ADD COLUMN rate_limit integer CHECK (rate_limit IS NULL OR rate_limit BETWEEN 1 AND 1000);

CREATE TABLE endpoint_health (
    webhook_id           uuid PRIMARY KEY REFERENCES webhooks (id) ON DELETE CASCADE,
    state                text NOT NULL DEFAULT 'closed' CHECK (state IN ('closed', 'open', 'half_open', 'disabled')),
    -- Breaker failures in a row (timeouts, refusals, 5xx, 408, 429).
    consecutive_failures integer NOT NULL DEFAULT 0,
    -- The first failed attempt since the last success: the auto-disable clock.
    failing_since        timestamptz,
    -- Highest failure threshold (50/70/90 % of the disable window) announced
    -- in the current run of failures.
    threshold_notified   integer NOT NULL DEFAULT 0,
    opened_at            timestamptz,
    -- Open: when the next half-open probe may go; the cooldown doubles per failed probe.
    probe_at             timestamptz,
    cooldown_ms          bigint NOT NULL DEFAULT 0,
    -- Half-open: the delivery making the probe, and until when it holds it.
    probe_delivery_id    uuid,
    probe_lease_until    timestamptz,
    disabled_at          timestamptz,
    disabled_reason      text,
    last_success_at      timestamptz,
    last_failure_at      timestamptz,
    -- Rate limit: the earliest time the next attempt may start.
    next_slot_at         timestamptz,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

-- Every change of an endpoint's state, shown by the API and published as an
-- operational event (published_at is the outbox mark).
CREATE TABLE endpoint_state_changes (
    id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id   uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    kind         text NOT NULL CHECK (kind IN ('circuit_opened', 'circuit_closed', 'failing', 'disabled', 'enabled')),
    -- failing: the percentage of the disable window reached (50, 70, 90); disabled by the window: 100.
    threshold    integer,
    reason       text,
    -- Who made the change: "hookflow" for the engine, else the caller's subject.
    actor        text NOT NULL DEFAULT 'hookflow',
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX endpoint_state_changes_webhook ON endpoint_state_changes (webhook_id, created_at DESC);
CREATE INDEX endpoint_state_changes_unpublished ON endpoint_state_changes (created_at) WHERE published_at IS NULL;

-- +goose Down
DROP TABLE endpoint_state_changes;
DROP TABLE endpoint_health;
ALTER TABLE webhooks DROP COLUMN rate_limit;
