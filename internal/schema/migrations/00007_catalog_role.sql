-- The catalog import's role (make catalog-import STAGE=…, lambdas/catalogimport):
-- it writes products and their stock from an import file, and nothing else. Like
-- the roles of 00006 it cannot log in: its login user, named in its own secret, is
-- made a member by the deploy-time migration (schema.ProvisionLogins).
--
-- An import copies the file into a temporary table (TEMPORARY on the database,
-- which PUBLIC holds by default), then upserts products by SKU and stock by
-- product, returning what it changed. Product IDs are identity columns: an insert
-- needs no grant on their sequence.

-- +goose Up
-- +goose StatementBegin
DO $$
BEGIN
    CREATE ROLE shop_catalog NOLOGIN;
EXCEPTION WHEN duplicate_object OR unique_violation THEN
    NULL; -- made by another database of the cluster, or by an earlier run
END $$;
-- +goose StatementEnd

GRANT USAGE ON SCHEMA public TO shop_catalog;

-- Products: find one by SKU, add it, change its name and price.
GRANT SELECT, INSERT (sku, name, price_cents) ON products TO shop_catalog;
GRANT UPDATE (name, price_cents, updated_at) ON products TO shop_catalog;
-- Stock: set a product's count.
GRANT SELECT, INSERT (product_id, quantity) ON stock TO shop_catalog;
GRANT UPDATE (quantity, updated_at) ON stock TO shop_catalog;

-- +goose Down
REVOKE ALL ON ALL TABLES IN SCHEMA public FROM shop_catalog;
REVOKE USAGE ON SCHEMA public FROM shop_catalog;
