-- The earning engine: program settings, pending points and expiry lots on the ledger, orders,
-- earn rules with their per-customer limits, VIP tiers.

ALTER TABLE programs ADD COLUMN points_per_unit_e4 INTEGER NOT NULL DEFAULT 10000;
ALTER TABLE programs ADD COLUMN earn_mode TEXT NOT NULL DEFAULT 'spend';
ALTER TABLE programs ADD COLUMN rounding TEXT NOT NULL DEFAULT 'floor';
ALTER TABLE programs ADD COLUMN points_delay_days INTEGER NOT NULL DEFAULT 0;
ALTER TABLE programs ADD COLUMN points_expiry_days INTEGER NULL;
ALTER TABLE programs ADD COLUMN stamps_required INTEGER NOT NULL DEFAULT 10;
ALTER TABLE programs ADD COLUMN stamp_reward_id TEXT NULL;
ALTER TABLE programs ADD COLUMN referral_referrer_points INTEGER NOT NULL DEFAULT 0;
ALTER TABLE programs ADD COLUMN referral_referee_points INTEGER NOT NULL DEFAULT 0;
ALTER TABLE programs ADD COLUMN referral_referrer_reward_id TEXT NULL;
ALTER TABLE programs ADD COLUMN referral_referee_reward_id TEXT NULL;
ALTER TABLE programs ADD COLUMN referral_min_order_e4 INTEGER NOT NULL DEFAULT 0;

-- status: 'available' counts in points_balance, 'pending' in pending_points until available_at.
-- remaining: what is left of a positive available entry (a lot) after spending, reversal and
-- expiry took from it, oldest first; expires_at: when that remainder expires.
ALTER TABLE points_transactions ADD COLUMN status TEXT NOT NULL DEFAULT 'available';
ALTER TABLE points_transactions ADD COLUMN available_at INTEGER NULL;
ALTER TABLE points_transactions ADD COLUMN expires_at INTEGER NULL;
ALTER TABLE points_transactions ADD COLUMN remaining INTEGER NOT NULL DEFAULT 0;
ALTER TABLE points_transactions ADD COLUMN order_id TEXT NULL;
ALTER TABLE points_transactions ADD COLUMN source TEXT NULL;

-- Existing balances: the newest positive entries that add up to the balance are what is left.
UPDATE points_transactions
SET remaining = (
    SELECT MAX(0, MIN(t.points, c.points_balance - (
        SELECT COALESCE(SUM(n.points), 0) FROM points_transactions n
        WHERE n.customer_id = t.customer_id AND n.points > 0 AND n.id > t.id)))
    FROM points_transactions t JOIN customers c ON c.id = t.customer_id
    WHERE t.id = points_transactions.id)
WHERE points > 0;

CREATE INDEX ix_points_transactions_lots ON points_transactions (customer_id, id) WHERE remaining > 0;
CREATE INDEX ix_points_transactions_expiring ON points_transactions (expires_at) WHERE remaining > 0 AND expires_at IS NOT NULL;
CREATE INDEX ix_points_transactions_pending ON points_transactions (available_at) WHERE status = 'pending';
CREATE INDEX ix_points_transactions_order ON points_transactions (program_id, order_id) WHERE order_id IS NOT NULL;

ALTER TABLE customers ADD COLUMN birthday_awarded_year INTEGER NULL;

CREATE TABLE orders (
    program_id            TEXT    NOT NULL,
    id                    TEXT    NOT NULL,
    customer_id           TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    currency              TEXT    NOT NULL,
    total_e4              INTEGER NOT NULL,
    refunded_e4           INTEGER NOT NULL DEFAULT 0,
    units                 INTEGER NOT NULL DEFAULT 0,
    discount_codes        TEXT    NOT NULL DEFAULT '[]',
    items                 TEXT    NOT NULL DEFAULT '[]',
    points_earned         INTEGER NOT NULL DEFAULT 0,
    points_reversed       INTEGER NOT NULL DEFAULT 0,
    paid_at               INTEGER NULL,
    cancelled_at          INTEGER NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    PRIMARY KEY (program_id, id)
);
CREATE INDEX ix_orders_customer ON orders (customer_id, created_at);
CREATE INDEX ix_orders_program_created ON orders (program_id, created_at);

CREATE TABLE earn_rules (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    name                  TEXT    NULL,
    type                  TEXT    NOT NULL,
    points                INTEGER NOT NULL DEFAULT 0,
    points_per_unit_e4    INTEGER NULL,
    multiplier_e4         INTEGER NOT NULL DEFAULT 10000,
    limit_period          TEXT    NULL,
    limit_count           INTEGER NULL,
    tier_ids              TEXT    NOT NULL DEFAULT '[]',
    starts_at             INTEGER NULL,
    ends_at               INTEGER NULL,
    enabled               INTEGER NOT NULL DEFAULT 1,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX ix_earn_rules_program ON earn_rules (program_id, id);

-- One row per award a rule made, for its per-customer limits.
CREATE TABLE rule_awards (
    rule_id               TEXT    NOT NULL,
    customer_id           TEXT    NOT NULL,
    awarded_at            INTEGER NOT NULL,
    transaction_id        TEXT    NOT NULL
);
CREATE INDEX ix_rule_awards ON rule_awards (rule_id, customer_id, awarded_at);

CREATE TABLE vip_tiers (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    name                  TEXT    NOT NULL,
    points_required       INTEGER NULL,
    spend_required_e4     INTEGER NULL,
    spend_window_days     INTEGER NULL,
    multiplier_e4         INTEGER NOT NULL DEFAULT 10000,
    discount_type         TEXT    NULL,
    discount_value_e4     INTEGER NULL,
    free_shipping         INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX ix_vip_tiers_program ON vip_tiers (program_id, id);
