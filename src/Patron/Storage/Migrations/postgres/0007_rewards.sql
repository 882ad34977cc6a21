-- Rewards, voucher codes, redemptions and stamp cards (docs/API.md: Rewards, Redemptions, Stamps).

-- A deleted reward is kept (deleted_at set): its redemptions still name it.
CREATE TABLE rewards (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    name                  TEXT    NOT NULL,
    description           TEXT    NULL,
    type                  TEXT    NOT NULL,
    value_e4              BIGINT  NULL,
    product_id            TEXT    NULL,
    points_cost           BIGINT  NULL,
    points_per_unit       BIGINT  NULL,
    min_points            BIGINT  NULL,
    max_points            BIGINT  NULL,
    min_tier              TEXT    NULL,
    limit_per_customer    BIGINT  NULL,
    expires_in_days       BIGINT  NULL,
    code_source           TEXT    NOT NULL,
    code_prefix           TEXT    NULL,
    enabled               BOOLEAN NOT NULL,
    deleted_at            BIGINT  NULL,
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL
);
CREATE INDEX ix_rewards_program ON rewards (program_id, id);

-- Every code of a program, imported (a pool: 'available' until claimed) or generated ('issued' at
-- once). The unique index is what makes a code impossible to hand out twice.
CREATE TABLE voucher_codes (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    reward_id             TEXT    NOT NULL,
    code                  TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    created_at            BIGINT  NOT NULL,
    issued_at             BIGINT  NULL
);
CREATE UNIQUE INDEX ux_voucher_codes_code ON voucher_codes (program_id, code);
CREATE INDEX ix_voucher_codes_pool ON voucher_codes (reward_id, status, id);

CREATE TABLE redemptions (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    customer_id           TEXT    NOT NULL,
    reward_id             TEXT    NOT NULL,
    source                TEXT    NOT NULL,
    points_spent          BIGINT  NOT NULL,
    value_e4              BIGINT  NULL,
    discount_code         TEXT    NOT NULL,
    apply_mode            TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    transaction_id        TEXT    NULL,
    balance_after         BIGINT  NOT NULL,
    expires_at            BIGINT  NULL,
    used_at               BIGINT  NULL,
    used_order_id         TEXT    NULL,
    cancelled_at          BIGINT  NULL,
    created_by            TEXT    NOT NULL,
    created_at            BIGINT  NOT NULL,
    updated_at            BIGINT  NOT NULL
);
CREATE UNIQUE INDEX ux_redemptions_code ON redemptions (program_id, discount_code);
CREATE INDEX ix_redemptions_program ON redemptions (program_id, id);
CREATE INDEX ix_redemptions_customer ON redemptions (customer_id, id);
CREATE INDEX ix_redemptions_reward ON redemptions (customer_id, reward_id, status);

-- One row per stamps request: history, and the answer a repeated `reference` gets again.
CREATE TABLE stamp_events (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    customer_id           TEXT    NOT NULL,
    stamps                BIGINT  NOT NULL,
    stamps_after          BIGINT  NOT NULL,
    rewards_issued        BIGINT  NOT NULL,
    reference             TEXT    NULL,
    response              TEXT    NOT NULL,
    created_by            TEXT    NOT NULL,
    created_at            BIGINT  NOT NULL
);
CREATE INDEX ix_stamp_events_customer ON stamp_events (customer_id, id);
CREATE UNIQUE INDEX ux_stamp_events_reference ON stamp_events (customer_id, reference) WHERE reference IS NOT NULL;
