-- Patron schema, version 1. Times are integer milliseconds since the Unix epoch (UTC).
-- Money columns (suffix _e4) hold exact integer ten-thousandths of the currency's major unit.

CREATE TABLE programs (
    id                    TEXT    NOT NULL PRIMARY KEY,
    name                  TEXT    NOT NULL,
    currency              TEXT    NOT NULL DEFAULT 'USD',
    live                  INTEGER NOT NULL DEFAULT 1,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL REFERENCES programs (id),
    name                  TEXT    NULL,
    scope                 TEXT    NOT NULL,
    secret_hash           TEXT    NOT NULL,
    secret_hint           TEXT    NOT NULL,
    rate_limit_per_minute INTEGER NULL,
    expires_at            INTEGER NULL,
    revoked_at            INTEGER NULL,
    created_at            INTEGER NOT NULL
);
CREATE UNIQUE INDEX ux_api_keys_secret_hash ON api_keys (secret_hash);
CREATE INDEX ix_api_keys_program ON api_keys (program_id, id);

CREATE TABLE customers (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    external_id           TEXT    NULL,
    email                 TEXT    NULL,
    phone                 TEXT    NULL,
    first_name            TEXT    NULL,
    last_name             TEXT    NULL,
    birthday              TEXT    NULL,
    status                TEXT    NOT NULL,
    points_balance        INTEGER NOT NULL DEFAULT 0,
    pending_points        INTEGER NOT NULL DEFAULT 0,
    lifetime_points       INTEGER NOT NULL DEFAULT 0,
    points_spent          INTEGER NOT NULL DEFAULT 0,
    points_expired        INTEGER NOT NULL DEFAULT 0,
    current_stamps        INTEGER NOT NULL DEFAULT 0,
    total_spent_e4        INTEGER NOT NULL DEFAULT 0,
    vip_tier_id           TEXT    NULL,
    referral_code         TEXT    NOT NULL,
    referred_by_id        TEXT    NULL,
    qr_code               TEXT    NOT NULL,
    search_text           TEXT    NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    deleted_at            INTEGER NULL
);
CREATE INDEX ix_customers_program ON customers (program_id, id);
CREATE UNIQUE INDEX ux_customers_external_id ON customers (program_id, external_id) WHERE external_id IS NOT NULL;
CREATE UNIQUE INDEX ux_customers_email ON customers (program_id, email) WHERE email IS NOT NULL;
CREATE UNIQUE INDEX ux_customers_phone ON customers (program_id, phone) WHERE phone IS NOT NULL;
CREATE UNIQUE INDEX ux_customers_qr_code ON customers (program_id, qr_code);
CREATE UNIQUE INDEX ux_customers_referral_code ON customers (program_id, referral_code);

CREATE TABLE points_transactions (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    customer_id           TEXT    NOT NULL,
    points                INTEGER NOT NULL,
    type                  TEXT    NOT NULL,
    description           TEXT    NULL,
    reference             TEXT    NULL,
    balance_after         INTEGER NOT NULL,
    created_by            TEXT    NOT NULL,
    created_at            INTEGER NOT NULL
);
CREATE INDEX ix_points_transactions_customer ON points_transactions (customer_id, id);
CREATE INDEX ix_points_transactions_program ON points_transactions (program_id, id);
CREATE UNIQUE INDEX ux_points_transactions_reference ON points_transactions (customer_id, reference) WHERE reference IS NOT NULL;

CREATE TABLE events (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    type                  TEXT    NOT NULL,
    data                  TEXT    NOT NULL,
    created_at            INTEGER NOT NULL
);
CREATE INDEX ix_events_program ON events (program_id, id);

CREATE TABLE idempotency_keys (
    program_id            TEXT    NOT NULL,
    key                   TEXT    NOT NULL,
    request_hash          TEXT    NOT NULL,
    status_code           INTEGER NOT NULL,
    response              BLOB    NOT NULL,
    created_at            INTEGER NOT NULL,
    PRIMARY KEY (program_id, key)
);
CREATE INDEX ix_idempotency_keys_created ON idempotency_keys (created_at);
