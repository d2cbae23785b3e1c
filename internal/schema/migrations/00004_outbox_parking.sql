-- An outbox row that keeps failing to publish while later rows go out is parked:
-- kept with its last error, counted and alarmed, and no longer tried, so it
-- blocks nothing behind it. Redrive: UPDATE outbox SET parked_at = NULL, attempts = 0 WHERE id = ...

-- +goose Up
ALTER TABLE outbox ADD COLUMN parked_at timestamptz;
DROP INDEX outbox_unsent;
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL AND parked_at IS NULL;
CREATE INDEX outbox_parked ON outbox (id) WHERE parked_at IS NOT NULL;

-- +goose Down
DROP INDEX outbox_parked;
DROP INDEX outbox_unsent;
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
ALTER TABLE outbox DROP COLUMN parked_at;
