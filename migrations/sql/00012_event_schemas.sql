-- JSON Schemas of catalog events: each (code, version) row may carry a
-- draft 2020-12 schema that its sample payloads and published data must
-- satisfy. schema_revision grows on every change, so a process that cached
-- a compiled schema sees at once that it is stale.
-- +goose Up
ALTER TABLE webhook_events
    ADD COLUMN schema          jsonb,
    ADD COLUMN schema_revision bigint NOT NULL DEFAULT 0;

-- +goose Down
ALTER TABLE webhook_events DROP COLUMN schema, DROP COLUMN schema_revision;
