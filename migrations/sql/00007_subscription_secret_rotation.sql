-- Secret rotation of organization subscriptions (ECG module): a rotated-out
-- secret stops being current (revoked_at) but keeps signing until
-- expires_at, HOOKFLOW_SECRET_ROTATION_OVERLAP later. A secret replaced
-- through the public API has no expires_at and stops signing at once.
-- +goose Up
ALTER TABLE webhook_secrets ADD COLUMN expires_at timestamptz;
-- The signing set and the history of one webhook, whatever their state.
CREATE INDEX webhook_secrets_webhook ON webhook_secrets (webhook_id, created_at);

-- +goose Down
DROP INDEX webhook_secrets_webhook;
ALTER TABLE webhook_secrets DROP COLUMN expires_at;
