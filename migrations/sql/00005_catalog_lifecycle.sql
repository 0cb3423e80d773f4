-- The ECG catalog as a live API: lifecycle columns shared by categories,
-- events and subscriptions (webhooks), soft deletion that frees a code for
-- reuse, audit subjects on sample payloads, and the seed-data versions.
-- +goose Up
ALTER TABLE webhook_categories
    ADD COLUMN active_changed_at timestamptz,
    ADD COLUMN active_changed_by text,
    ADD COLUMN archived_by       text,
    ADD COLUMN deleted_at        timestamptz,
    ADD COLUMN deleted_by        text;
ALTER TABLE webhook_events
    ADD COLUMN active_changed_at timestamptz,
    ADD COLUMN active_changed_by text,
    ADD COLUMN archived_by       text,
    ADD COLUMN deleted_at        timestamptz,
    ADD COLUMN deleted_by        text;
ALTER TABLE webhooks
    ADD COLUMN active_changed_at timestamptz,
    ADD COLUMN active_changed_by text,
    ADD COLUMN archived_by       text,
    ADD COLUMN deleted_by        text;

-- A deleted category or event keeps its row (history) but not its code.
ALTER TABLE webhook_categories DROP CONSTRAINT webhook_categories_code_key;
CREATE UNIQUE INDEX webhook_categories_code_live ON webhook_categories (code) WHERE deleted_at IS NULL;
-- An event is unique by (code, version), not by code alone.
ALTER TABLE webhook_events DROP CONSTRAINT webhook_events_code_key;
CREATE UNIQUE INDEX webhook_events_code_version_live ON webhook_events (code, version) WHERE deleted_at IS NULL;
CREATE INDEX webhook_events_code ON webhook_events (code) WHERE deleted_at IS NULL;

ALTER TABLE sample_payloads
    ADD COLUMN created_by text,
    ADD COLUMN updated_by text;

-- Seed data that migrations applied to the catalog, listed by the API.
CREATE TABLE seed_data_versions (
    version     text PRIMARY KEY,
    description text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
);
-- v1 was applied with the initial schema; it keeps that instant.
INSERT INTO seed_data_versions (version, description, applied_at)
SELECT 'v1', 'The shift events of seed 000 and the facility events of seed 001, in the seeds'' order.', coalesce(min(created_at), now())
FROM webhook_categories WHERE code IN ('shift', 'facility');

-- +goose Down
DROP TABLE seed_data_versions;
ALTER TABLE sample_payloads DROP COLUMN created_by, DROP COLUMN updated_by;
DROP INDEX webhook_events_code;
DROP INDEX webhook_events_code_version_live;
ALTER TABLE webhook_events ADD CONSTRAINT webhook_events_code_key UNIQUE (code);
DROP INDEX webhook_categories_code_live;
ALTER TABLE webhook_categories ADD CONSTRAINT webhook_categories_code_key UNIQUE (code);
ALTER TABLE webhooks
    DROP COLUMN active_changed_at, DROP COLUMN active_changed_by, DROP COLUMN archived_by, DROP COLUMN deleted_by;
ALTER TABLE webhook_events
    DROP COLUMN active_changed_at, DROP COLUMN active_changed_by, DROP COLUMN archived_by, DROP COLUMN deleted_at, DROP COLUMN deleted_by;
ALTER TABLE webhook_categories
    DROP COLUMN active_changed_at, DROP COLUMN active_changed_by, DROP COLUMN archived_by, DROP COLUMN deleted_at, DROP COLUMN deleted_by;
