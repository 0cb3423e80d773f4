-- A webhook's custom headers (sent on every attempt), a JSON object sealed
-- like secrets (package sealing, bound to the webhook's id) since they often
-- carry a credential. NULL: none.
-- +goose Up
ALTER TABLE webhooks ADD COLUMN sealed_headers text;

-- +goose Down
ALTER TABLE webhooks DROP COLUMN sealed_headers;
