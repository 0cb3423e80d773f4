-- Operational events (issue 19): what Hookflow publishes about endpoints,
-- as events of a reserved catalog category. The API refuses to change the
-- category or its events (hookflow.ErrReservedCategory); routing sends each
-- only to the endpoint's own tenant, and only to webhooks that name it
-- (storage.EventStore.PublishEvent: "all" does not include them).
-- +goose Up
INSERT INTO webhook_categories (code, name, description, position) VALUES
    ('endpoint', 'Endpoint', 'Operational events Hookflow publishes about your own webhooks and subscriptions: circuit opened, recovered, failing, disabled. Reserved.',
     (SELECT coalesce(max(position), 0) + 1 FROM webhook_categories));

INSERT INTO webhook_events (category_id, code, name, description, position)
SELECT c.id, e.code, e.name, e.description, e.position
FROM webhook_categories c
JOIN (VALUES
    ('endpoint.circuit-opened', 'Endpoint circuit opened', 'A run of failures opened the endpoint''s circuit: its deliveries wait, no attempts are made until a probe succeeds.', 1),
    ('endpoint.recovered', 'Endpoint recovered', 'The endpoint''s circuit closed after a successful probe, or the endpoint was enabled again: its deliveries resume.', 2),
    ('endpoint.failing', 'Endpoint failing', 'The endpoint has been failing for a share (threshold, in percent) of the time after which it is disabled.', 3),
    ('endpoint.disabled', 'Endpoint disabled', 'The endpoint was disabled (failing for too long, 410 Gone, or by hand): its pending deliveries end as failed.', 4)
) AS e (code, name, description, position) ON c.code = 'endpoint' AND c.deleted_at IS NULL;

-- +goose Down
DELETE FROM sample_payloads WHERE event_id IN (SELECT e.id FROM webhook_events e JOIN webhook_categories c ON c.id = e.category_id WHERE c.code = 'endpoint');
DELETE FROM webhook_events WHERE category_id IN (SELECT id FROM webhook_categories WHERE code = 'endpoint');
DELETE FROM webhook_categories WHERE code = 'endpoint';
