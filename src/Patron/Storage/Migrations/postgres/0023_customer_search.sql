-- Customer search (part of a name, email or phone) through trigram indexes instead of reading every
-- customer: GIN indexes with pg_trgm's gin_trgm_ops on customers.search_text (searched with LIKE and
-- ILIKE) and customers.phone (LIKE). pg_trgm is a trusted extension (PostgreSQL 13+): a role with
-- CREATE on the database may install it. When it cannot be installed, this script still succeeds,
-- search reads every customer as before, and the server logs how to enable it (docs/SCALING.md).
-- Migrator runs this script again on every start while the indexes are missing, so they are built
-- on the first start after the extension is installed. Every statement is idempotent.
DO $$
DECLARE
    trgm_schema TEXT;
BEGIN
    BEGIN
        CREATE EXTENSION IF NOT EXISTS pg_trgm;
    EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm could not be installed (%): customer search reads every customer', SQLERRM;
    END;
    SELECT n.nspname INTO trgm_schema
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm';
    IF trgm_schema IS NOT NULL THEN
        EXECUTE format('CREATE INDEX IF NOT EXISTS ix_customers_search_text_trgm ON customers USING gin (search_text %I.gin_trgm_ops)', trgm_schema);
        EXECUTE format('CREATE INDEX IF NOT EXISTS ix_customers_phone_trgm ON customers USING gin (phone %I.gin_trgm_ops)', trgm_schema);
    END IF;
END
$$;
