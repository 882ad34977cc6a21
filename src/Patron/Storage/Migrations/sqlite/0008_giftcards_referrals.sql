-- Gift cards and referrals (docs/API.md). Money columns (_e4) are integer ten-thousandths.

-- A gift card's code is a bearer secret, like a card number: only its SHA-256 (hex, of the code
-- without separators, upper case) is kept, with the last four characters as a hint.
CREATE TABLE gift_cards (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    code_hash             TEXT    NOT NULL,
    code_last4            TEXT    NOT NULL,
    customer_id           TEXT    NULL,
    currency              TEXT    NOT NULL,
    initial_balance_e4    INTEGER  NOT NULL,
    balance_e4            INTEGER  NOT NULL CHECK (balance_e4 >= 0),
    status                TEXT    NOT NULL,
    expires_at            INTEGER  NULL,
    created_by            TEXT    NOT NULL,
    created_at            INTEGER  NOT NULL,
    updated_at            INTEGER  NOT NULL
);
CREATE UNIQUE INDEX ux_gift_cards_code_hash ON gift_cards (code_hash);
CREATE INDEX ix_gift_cards_program ON gift_cards (program_id, id);
CREATE INDEX ix_gift_cards_customer ON gift_cards (customer_id) WHERE customer_id IS NOT NULL;

-- Immutable: one row per balance movement, the issue included, so the rows add up to the balance.
CREATE TABLE gift_card_transactions (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    gift_card_id          TEXT    NOT NULL,
    amount_e4             INTEGER  NOT NULL,
    balance_after_e4      INTEGER  NOT NULL,
    type                  TEXT    NOT NULL,
    reference             TEXT    NULL,
    description           TEXT    NULL,
    created_by            TEXT    NOT NULL,
    created_at            INTEGER  NOT NULL
);
CREATE INDEX ix_gift_card_transactions_card ON gift_card_transactions (gift_card_id, id);
CREATE UNIQUE INDEX ux_gift_card_transactions_reference ON gift_card_transactions (gift_card_id, reference) WHERE reference IS NOT NULL;

-- One row per referred customer: pending until the referee's first paid order decides it.
CREATE TABLE referrals (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    referrer_id           TEXT    NOT NULL,
    referee_id            TEXT    NOT NULL,
    status                TEXT    NOT NULL,
    order_id              TEXT    NULL,
    referrer_points       INTEGER  NOT NULL DEFAULT 0,
    referee_points        INTEGER  NOT NULL DEFAULT 0,
    completed_at          INTEGER  NULL,
    created_at            INTEGER  NOT NULL,
    updated_at            INTEGER  NOT NULL
);
CREATE UNIQUE INDEX ux_referrals_referee ON referrals (referee_id);
CREATE INDEX ix_referrals_program ON referrals (program_id, id);
CREATE INDEX ix_referrals_referrer ON referrals (referrer_id, id);

-- Customers linked before this version: their referral starts pending (the id reuses the referee's ULID).
INSERT INTO referrals (id, program_id, referrer_id, referee_id, status, created_at, updated_at)
SELECT 'ref_' || substr(id, 5), program_id, referred_by_id, id, 'pending', created_at, created_at
FROM customers WHERE referred_by_id IS NOT NULL;
