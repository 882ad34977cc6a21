-- The rate an order earned at (points per unit with every multiplier) and what it counts (spend or
-- units), fixed at its first payment: a later edit of the order re-prices at that rate. The rate is
-- an exact decimal, kept as its invariant text. NULL for orders not yet paid.
ALTER TABLE orders ADD COLUMN earn_mode TEXT NULL;
ALTER TABLE orders ADD COLUMN earn_rate TEXT NULL;
