-- The shop: products and their stock, orders, the outbox the service publishes
-- events from, and what the consumers record to stay idempotent.

-- +goose Up
CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text        NOT NULL UNIQUE,
    name        text        NOT NULL,
    price_cents bigint      NOT NULL CHECK (price_cents >= 0),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE stock (
    product_id bigint      PRIMARY KEY REFERENCES products (id),
    quantity   integer     NOT NULL CHECK (quantity >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE orders (
    id              uuid        PRIMARY KEY,
    customer_email  text        NOT NULL,
    status          text        NOT NULL DEFAULT 'placed' CHECK (status IN ('placed', 'cancelled')),
    total_cents     bigint      NOT NULL CHECK (total_cents >= 0),
    -- A retried POST with the same Idempotency-Key finds its order instead of making another.
    idempotency_key text        UNIQUE,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX orders_created_at ON orders (created_at);

CREATE TABLE order_lines (
    order_id         uuid    NOT NULL REFERENCES orders (id),
    line             integer NOT NULL,
    product_id       bigint  NOT NULL REFERENCES products (id),
    quantity         integer NOT NULL CHECK (quantity > 0),
    unit_price_cents bigint  NOT NULL CHECK (unit_price_cents >= 0),
    PRIMARY KEY (order_id, line)
);

-- Written in the same transaction as the order; a relay publishes and marks rows sent.
CREATE TABLE outbox (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id    uuid        NOT NULL UNIQUE,
    event_type  text        NOT NULL,
    payload     jsonb       NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    sent_at     timestamptz,
    attempts    integer     NOT NULL DEFAULT 0,
    last_error  text
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- A consumer records each event it has applied, in the transaction of its effect.
CREATE TABLE processed_events (
    consumer     text        NOT NULL,
    event_id     uuid        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, event_id)
);

-- Every change the inventory consumer makes to stock, so a cancellation can undo
-- exactly what its order took.
CREATE TABLE stock_movements (
    event_id   uuid        NOT NULL,
    order_id   uuid        NOT NULL,
    product_id bigint      NOT NULL REFERENCES products (id),
    delta      integer     NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, product_id)
);
CREATE INDEX stock_movements_order ON stock_movements (order_id);

-- Orders the inventory consumer could not fill: visible to the business, not retried.
CREATE TABLE stock_shortages (
    event_id   uuid        PRIMARY KEY,
    order_id   uuid        NOT NULL,
    detail     jsonb       NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- +goose Down
DROP TABLE stock_shortages;
DROP TABLE stock_movements;
DROP TABLE processed_events;
DROP TABLE outbox;
DROP TABLE order_lines;
DROP TABLE orders;
DROP TABLE stock;
DROP TABLE products;
