-- Whether a lot is open (has points left) is a column the database derives from its remainder, and the
-- indexes of open lots are keyed on it instead of on the remainder. A spend that leaves its lot open, which
-- is most spends, then changes no indexed value: PostgreSQL updates the row in place on its page (a HOT
-- update) and writes no index entry, instead of a new row version with an entry in every index of the
-- table. Only the spend that empties a lot, and the entry that opens one, touch the two indexes below.
-- A fill factor of 90 leaves room on each page for those in-place updates (docs/PERFORMANCE.md, 2026-12-08).
--
-- Adding a stored column rewrites the table once, holding it locked while it does (docs/OPERATIONS.md).
ALTER TABLE points_transactions SET (fillfactor = 90);
ALTER TABLE points_transactions ADD COLUMN lot_open BOOLEAN GENERATED ALWAYS AS (remaining > 0) STORED;

DROP INDEX ix_points_transactions_lots;
DROP INDEX ix_points_transactions_expiring;
CREATE INDEX ix_points_transactions_lots ON points_transactions (customer_id, id) WHERE lot_open;
CREATE INDEX ix_points_transactions_expiring ON points_transactions (expires_at) WHERE lot_open AND expires_at IS NOT NULL;
