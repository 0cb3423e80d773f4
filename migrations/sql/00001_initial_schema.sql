-- +goose Up
-- The event catalog: categories and the event types webhooks subscribe to.
CREATE TABLE webhook_categories (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    description text,
    position    integer NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    updated_by  text
);

CREATE TABLE webhook_events (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    category_id uuid NOT NULL REFERENCES webhook_categories (id),
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    description text,
    version     text NOT NULL DEFAULT 'v1',
    position    integer NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    archived_at timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    created_by  text,
    updated_by  text
);
CREATE INDEX webhook_events_category ON webhook_events (category_id, position);

-- Sample payloads of catalog events, per version (ECG module).
CREATE TABLE sample_payloads (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    event_id   uuid NOT NULL REFERENCES webhook_events (id),
    version    text NOT NULL DEFAULT 'v1',
    payload    jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, version)
);

-- Webhooks of every kind. Organization webhooks are the ECG module's
-- subscriptions (postUri = url, isDevelopment, version).
CREATE TABLE webhooks (
    id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    kind            text NOT NULL CHECK (kind IN ('facility', 'user', 'organization')),
    client_id       text NOT NULL,
    organization_id text,
    url             text NOT NULL,
    events          text[] NOT NULL,
    facilities      text[] NOT NULL DEFAULT '{}',
    version         text NOT NULL DEFAULT 'v1',
    is_development  boolean NOT NULL DEFAULT false,
    active          boolean NOT NULL DEFAULT true,
    archived_at     timestamptz,
    deleted_at      timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    created_by      text,
    updated_by      text
);
CREATE INDEX webhooks_client ON webhooks (client_id, kind, created_at) WHERE deleted_at IS NULL;
CREATE INDEX webhooks_facilities ON webhooks USING gin (facilities) WHERE deleted_at IS NULL AND kind = 'facility';
CREATE INDEX webhooks_organization ON webhooks (organization_id) WHERE deleted_at IS NULL AND kind = 'organization';

-- Secrets in signing order. A revoked secret stays as history (ECG module).
CREATE TABLE webhook_secrets (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    webhook_id uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    secret     text NOT NULL,
    position   integer NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);
CREATE INDEX webhook_secrets_current ON webhook_secrets (webhook_id, position) WHERE revoked_at IS NULL;

-- Published events. The id is the publisher's idempotency key.
CREATE TABLE events (
    id              text PRIMARY KEY,
    event_type      text NOT NULL,
    facility_id     text,
    client_id       text,
    organization_id text,
    payload         jsonb NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_created ON events (created_at);

-- One delivery per (event, webhook), carried by one Temporal workflow.
CREATE TABLE deliveries (
    id              uuid PRIMARY KEY,
    event_id        text NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    webhook_id      uuid NOT NULL REFERENCES webhooks (id),
    event_type      text NOT NULL,
    facility_id     text,
    client_id       text NOT NULL,
    url             text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'retrying', 'succeeded', 'failed')),
    attempt_count   integer NOT NULL DEFAULT 0,
    next_retry_at   timestamptz,
    last_status     integer,
    failure_reason  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now(),
    UNIQUE (event_id, webhook_id)
);
-- Log search: by tenant, newest first, optionally by facility and event type.
CREATE INDEX deliveries_client_created ON deliveries (client_id, created_at DESC, id);
CREATE INDEX deliveries_facility_created ON deliveries (facility_id, created_at DESC, id);
CREATE INDEX deliveries_created ON deliveries (created_at DESC, id);
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, created_at DESC);

-- Every HTTP attempt. retrying_from_id links a manual retry to the attempt it
-- retries, giving the ECG module's tree (retryingFromPostId, childPostHistory).
CREATE TABLE attempts (
    id               uuid PRIMARY KEY,
    delivery_id      uuid NOT NULL REFERENCES deliveries (id) ON DELETE CASCADE,
    attempt_number   integer NOT NULL,
    retrying_from_id uuid REFERENCES attempts (id) ON DELETE SET NULL,
    manual           boolean NOT NULL DEFAULT false,
    url              text NOT NULL,
    request_payload  jsonb,
    response_status  integer,
    response_body    text,
    error            text,
    duration_ms      integer NOT NULL DEFAULT 0,
    success          boolean NOT NULL,
    next_retry_at    timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    UNIQUE (delivery_id, attempt_number)
);
CREATE INDEX attempts_created ON attempts (created_at);

-- The catalog of seeds 000 and 001, in the seeds' order.
INSERT INTO webhook_categories (code, name, description, position) VALUES
    ('shift', 'Shift', 'Shift lifecycle events, delivered to facility webhooks.', 1),
    ('facility', 'Facility', 'Facility creation and connection events, delivered to user webhooks.', 2);

INSERT INTO webhook_events (category_id, code, name, position)
SELECT c.id, e.code, e.name, e.position
FROM webhook_categories c
JOIN (VALUES
    ('shift', 'shift.request.created', 'Shift request created', 1),
    ('shift', 'shift.request.cancelled', 'Shift request cancelled', 2),
    ('shift', 'shift.report.created', 'Shift report created', 3),
    ('shift', 'shift.scheduled.cancelled', 'Scheduled shift cancelled', 4),
    ('shift', 'shift.scheduled', 'Shift scheduled', 5),
    ('shift', 'shift.created', 'Shift created', 6),
    ('shift', 'shift.report.accepted-automatically', 'Shift report accepted automatically', 7),
    ('shift', 'shift.report.accepted', 'Shift report accepted', 8),
    ('shift', 'shift.report.rejected', 'Shift report rejected', 9),
    ('shift', 'shift.cancelled', 'Shift cancelled', 10),
    ('facility', 'facility.user-connection.accepted', 'Facility user connection accepted', 1),
    ('facility', 'facility.user-connection.rejected', 'Facility user connection rejected', 2),
    ('facility', 'facility.creation.accepted', 'Facility creation accepted', 3),
    ('facility', 'facility.creation.rejected', 'Facility creation rejected', 4)
) AS e (category, code, name, position) ON e.category = c.code;

-- +goose Down
DROP TABLE attempts;
DROP TABLE deliveries;
DROP TABLE events;
DROP TABLE webhook_secrets;
DROP TABLE webhooks;
DROP TABLE sample_payloads;
DROP TABLE webhook_events;
DROP TABLE webhook_categories;
