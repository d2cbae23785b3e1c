-- Orders the inventory consumer saw cancelled. SNS and SQS do not keep order: a
-- cancellation can arrive before its order, and the order must then take no
-- stock, or the stock it took would never come back.

-- +goose Up
CREATE TABLE order_cancellations (
    order_id   uuid        PRIMARY KEY,
    event_id   uuid        NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE order_cancellations;
