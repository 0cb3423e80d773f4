-- A webhook's custom headers (sent on every attempt), a JSON object sealed
-- like secrets (package sealing, bound to the webhook's id) since they often
-- carry a credential. NULL: none.
-- An attempt records the custom headers it sent the same way, sealed (bound
-- to its delivery's id) beside the plain request_headers that hold
-- Hookflow's own, so that the recorded request shows them to their owner
-- without keeping a credential in the clear.
-- +goose Up
ALTER TABLE webhooks ADD COLUMN sealed_headers text;
ALTER TABLE attempt_intents ADD COLUMN sealed_custom_headers text;
ALTER TABLE attempts ADD COLUMN sealed_custom_headers text;

-- +goose Down
ALTER TABLE attempts DROP COLUMN sealed_custom_headers;
ALTER TABLE attempt_intents DROP COLUMN sealed_custom_headers;
ALTER TABLE webhooks DROP COLUMN sealed_headers;
