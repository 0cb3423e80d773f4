-- A webhook's filter: a CEL expression over a published event (package
-- filter) that the event must match to be delivered; NULL delivers every
-- event the webhook subscribes to. The API compiles it before storing, and
-- limits.go bounds its length (MaxFilterLength), which the CHECK repeats
-- so no writer can store more.
-- +goose Up
ALTER TABLE webhooks ADD COLUMN filter text;
ALTER TABLE webhooks ADD CONSTRAINT webhooks_filter_length CHECK (char_length(filter) <= 1024);

-- +goose Down
ALTER TABLE webhooks DROP CONSTRAINT webhooks_filter_length;
ALTER TABLE webhooks DROP COLUMN filter;
