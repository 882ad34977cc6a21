-- Whether a lot is open (has points left) is a column the database derives from its remainder, and the
-- indexes of open lots are keyed on it instead of on the remainder, as on PostgreSQL (where that lets a spend
-- that leaves its lot open update the row in place; docs/PERFORMANCE.md, 2026-12-08). SQLite computes the
-- column when it is read (VIRTUAL: nothing is stored, no row is rewritten), and the statements that look for
-- open lots read the same on both databases.
ALTER TABLE points_transactions ADD COLUMN lot_open INTEGER GENERATED ALWAYS AS (remaining > 0) VIRTUAL;

DROP INDEX ix_points_transactions_lots;
DROP INDEX ix_points_transactions_expiring;
CREATE INDEX ix_points_transactions_lots ON points_transactions (customer_id, id) WHERE lot_open;
CREATE INDEX ix_points_transactions_expiring ON points_transactions (expires_at) WHERE lot_open AND expires_at IS NOT NULL;
