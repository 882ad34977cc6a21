-- VIP tiers (docs/API.md VIP tiers) and analytics (docs/API.md, Analytics).

-- A deleted tier is kept (deleted_at set) so that the tier.changed events of its former members
-- can still name it; everything else reads live tiers only. Live names are unique in a program,
-- because GET /customers?tier= accepts a name.
ALTER TABLE vip_tiers ADD COLUMN deleted_at BIGINT  NULL;
CREATE UNIQUE INDEX ux_vip_tiers_name ON vip_tiers (program_id, name) WHERE deleted_at IS NULL;

-- The members of a tier, for GET /customers?tier=. Partial: customers without a tier cost nothing,
-- and the index changes only when a customer changes tier, never on a balance update.
CREATE INDEX ix_customers_vip_tier ON customers (vip_tier_id, id) WHERE vip_tier_id IS NOT NULL;

-- When each program's customers are next checked against its tiers: at once after a tier is
-- created, changed or deleted, and daily while spend tiers exist (spend leaves their windows as
-- time passes). after_id is where an unfinished pass resumes; generation makes a pass that a tier
-- change overtook start again instead of finishing.
CREATE TABLE vip_tier_checks (
    program_id            TEXT    NOT NULL PRIMARY KEY,
    due_at                BIGINT  NOT NULL,
    after_id              TEXT    NULL,
    generation            BIGINT  NOT NULL DEFAULT 0,
    reason                TEXT    NOT NULL
);
CREATE INDEX ix_vip_tier_checks_due ON vip_tier_checks (due_at);

-- The money value of one point in the program's currency (NULL: not set), for the outstanding
-- liability that analytics reports.
ALTER TABLE programs ADD COLUMN point_value_e4 BIGINT  NULL;
