-- The hash of the request that made each order with an Idempotency-Key: the same
-- key with another request is refused (422) instead of answered with this order.

-- +goose Up
ALTER TABLE orders ADD COLUMN request_hash bytea;

-- +goose Down
ALTER TABLE orders DROP COLUMN request_hash;
