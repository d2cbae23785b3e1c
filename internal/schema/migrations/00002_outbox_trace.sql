-- The X-Ray trace header of the request that wrote each outbox row: the relay sends
-- it with the event, so the consumers' traces link to the order's request.

-- +goose Up
ALTER TABLE outbox ADD COLUMN trace_header text;

-- +goose Down
ALTER TABLE outbox DROP COLUMN trace_header;
