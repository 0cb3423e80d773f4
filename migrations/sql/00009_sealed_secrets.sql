-- Secrets at rest are sealed (package sealing: envelope encryption under
-- HOOKFLOW_ENCRYPTION_KEYS, bound to the row's id). SQL cannot encrypt, so
-- the old plaintext column stays, renamed, for the rows written before
-- this migration; `hookflow migrate` seals them right after the schema
-- migrations and empties it. Every row holds exactly one of the two.
-- +goose Up
ALTER TABLE webhook_secrets RENAME COLUMN secret TO plaintext_secret;
ALTER TABLE webhook_secrets ALTER COLUMN plaintext_secret DROP NOT NULL;
ALTER TABLE webhook_secrets ADD COLUMN sealed_secret text;
ALTER TABLE webhook_secrets ADD CONSTRAINT webhook_secrets_sealed_or_plaintext
    CHECK ((sealed_secret IS NULL) <> (plaintext_secret IS NULL));
-- The rows the sealing pass still has to do.
CREATE INDEX webhook_secrets_plaintext ON webhook_secrets (id) WHERE plaintext_secret IS NOT NULL;

-- +goose Down
-- A sealed secret cannot be opened in SQL: going down is only possible
-- before anything was sealed.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM webhook_secrets WHERE sealed_secret IS NOT NULL) THEN
        RAISE EXCEPTION 'webhook_secrets holds sealed secrets, which SQL cannot decrypt';
    END IF;
END $$;
-- +goose StatementEnd
DROP INDEX webhook_secrets_plaintext;
ALTER TABLE webhook_secrets DROP CONSTRAINT webhook_secrets_sealed_or_plaintext;
ALTER TABLE webhook_secrets DROP COLUMN sealed_secret;
ALTER TABLE webhook_secrets ALTER COLUMN plaintext_secret SET NOT NULL;
ALTER TABLE webhook_secrets RENAME COLUMN plaintext_secret TO secret;
