-- Members (docs/WIDGET.md): the customer-facing side. A program's member secrets sign storefront
-- customer credentials (HMAC-SHA256); at most two are active at once, so that a shop can rotate.
-- The secret is kept encrypted (AES-256-GCM, as webhook secrets are), never in plain text.
CREATE TABLE member_secrets (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    secret                TEXT    NOT NULL,
    hint                  TEXT    NOT NULL,
    created_at            INTEGER  NOT NULL,
    retired_at            INTEGER  NULL
);
CREATE INDEX ix_member_secrets_program ON member_secrets (program_id, id);

-- A program's member settings: the shop origins allowed to call /api/v1/me from a browser (one per
-- line), how long a signed credential is accepted, and the shop's referral link with {code}.
CREATE TABLE member_settings (
    program_id            TEXT    NOT NULL PRIMARY KEY,
    allowed_origins       TEXT    NOT NULL DEFAULT '',
    credential_max_age_seconds INTEGER NOT NULL DEFAULT 86400,
    referral_url          TEXT    NULL,
    updated_at            INTEGER  NOT NULL
);
