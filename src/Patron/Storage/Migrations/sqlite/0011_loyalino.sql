-- What the native API needs to be a superset of Loyalino's (docs/migrate/loyalino.md).
-- The program's shop domain and plan label, shown by GET /program and set by PATCH /program.
ALTER TABLE programs ADD COLUMN shop_domain TEXT NULL;
ALTER TABLE programs ADD COLUMN plan TEXT NOT NULL DEFAULT 'self_hosted';

-- The caller's own label of a points transaction (its "type" as posted), when it is not one of the
-- ledger's kinds. The kind in "type" still decides the counters; the API shows the label if any.
ALTER TABLE points_transactions ADD COLUMN label TEXT NULL;

-- The points a placed (not yet paid) order would earn, shown in the customer's pending_points until
-- the order is paid (then the ledger holds them) or cancelled (then they are gone). 0 otherwise.
ALTER TABLE orders ADD COLUMN points_placed INTEGER NOT NULL DEFAULT 0;
CREATE INDEX ix_orders_customer_placed ON orders (customer_id) WHERE status = 'placed';

-- Which signature headers an endpoint's deliveries carry ('patron': Standard Webhooks and
-- Patron-Signature; 'loyalino': those and Loyalino-Signature), and the outcome of its latest attempt.
ALTER TABLE webhook_endpoints ADD COLUMN signature_scheme TEXT NOT NULL DEFAULT 'patron';
ALTER TABLE webhook_endpoints ADD COLUMN last_status INTEGER NULL;
ALTER TABLE webhook_endpoints ADD COLUMN last_attempt_at INTEGER NULL;
