-- One role per component, with only the grants it needs. The roles cannot log in:
-- each component's login user, named in its own Secrets Manager secret, is made a
-- member of its role by the deploy-time migration (schema.ProvisionLogins), and a
-- multi-user rotation's "_clone" user is granted that user in turn. The master
-- user owns the tables and is left to migrations and rotation. Roles belong to the
-- cluster, so creating one that exists is not an error.
--
-- Every session also gets timeouts from the database, in case a client sets none;
-- each client sets its own on connecting (internal/pg Limits).

-- +goose Up
-- +goose StatementBegin
DO $$
DECLARE
    role text;
BEGIN
    FOREACH role IN ARRAY ARRAY['shop_service', 'shop_inventory', 'shop_notifications', 'shop_report'] LOOP
        BEGIN
            EXECUTE format('CREATE ROLE %I NOLOGIN', role);
        EXCEPTION WHEN duplicate_object OR unique_violation THEN
            NULL; -- made by another database of the cluster, or by an earlier run
        END;
    END LOOP;
    EXECUTE format('ALTER DATABASE %I SET statement_timeout = %L', current_database(), '30s');
    EXECUTE format('ALTER DATABASE %I SET lock_timeout = %L', current_database(), '5s');
    EXECUTE format('ALTER DATABASE %I SET idle_in_transaction_session_timeout = %L', current_database(), '60s');
END $$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO shop_service, shop_inventory, shop_notifications, shop_report;

-- The service: reads the catalog and changes a product's name and price; writes
-- orders and their lines; forgets an expired idempotency key; writes the outbox and
-- marks its rows sent, failed or parked.
GRANT SELECT ON products TO shop_service;
GRANT UPDATE (name, price_cents, updated_at) ON products TO shop_service;
GRANT SELECT, INSERT ON orders, order_lines TO shop_service;
GRANT UPDATE (idempotency_key) ON orders TO shop_service;
GRANT SELECT, INSERT ON outbox TO shop_service;
GRANT UPDATE (sent_at, attempts, last_error, parked_at) ON outbox TO shop_service;

-- The inventory consumer: takes and gives back stock, once per event.
GRANT SELECT, INSERT ON processed_events, stock_movements, order_cancellations TO shop_inventory;
GRANT SELECT, UPDATE (quantity, updated_at) ON stock TO shop_inventory;
GRANT INSERT ON stock_shortages TO shop_inventory;

-- The notifications consumer: records each event it has sent, once.
GRANT SELECT, INSERT ON processed_events TO shop_notifications;

-- The daily report: reads orders and what they sold; writes nothing.
GRANT SELECT ON orders, order_lines, products TO shop_report;

-- +goose Down
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM shop_service, shop_inventory, shop_notifications, shop_report;
REVOKE USAGE ON SCHEMA public FROM shop_service, shop_inventory, shop_notifications, shop_report;
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('ALTER DATABASE %I RESET statement_timeout', current_database());
    EXECUTE format('ALTER DATABASE %I RESET lock_timeout', current_database());
    EXECUTE format('ALTER DATABASE %I RESET idle_in_transaction_session_timeout', current_database());
END $$;
-- +goose StatementEnd
