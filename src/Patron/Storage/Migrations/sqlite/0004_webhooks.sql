-- Webhooks (docs/API.md and docs/WEBHOOKS.md). One delivery row per (event, subscribed endpoint) is written in
-- the event's own transaction, so that a crash loses neither; the dispatcher claims due rows.

CREATE TABLE webhook_endpoints (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    url                   TEXT    NOT NULL,
    description           TEXT    NULL,
    events                TEXT    NOT NULL DEFAULT '["*"]',   -- JSON array of event types, ["*"] for all
    enabled               INTEGER NOT NULL DEFAULT 1,
    disabled_reason       TEXT    NULL,                       -- 'manual' | 'failing'
    secret                TEXT    NOT NULL,                   -- AES-GCM ciphertext, never the plain secret
    failing_since         INTEGER NULL,                       -- first failed attempt since the last success
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX ix_webhook_endpoints_program ON webhook_endpoints (program_id, id);

-- status: 'pending' until an attempt gets a 2xx ('succeeded') or the retry schedule runs out
-- ('failed'). A claimed row has leased_by set and next_attempt_at moved to the end of its lease, so
-- that a crashed process's claims become due again by themselves.
CREATE TABLE webhook_deliveries (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    endpoint_id           TEXT    NOT NULL,
    event_id              TEXT    NOT NULL,
    event_type            TEXT    NOT NULL,
    status                TEXT    NOT NULL DEFAULT 'pending',
    attempts              INTEGER NOT NULL DEFAULT 0,
    next_attempt_at       INTEGER NULL,
    leased_by             TEXT    NULL,
    last_attempt_at       INTEGER NULL,
    last_status_code      INTEGER NULL,
    last_error            TEXT    NULL,
    last_response_ms      INTEGER NULL,
    created_at            INTEGER NOT NULL,
    completed_at          INTEGER NULL
);
CREATE INDEX ix_webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, id);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (endpoint_id, next_attempt_at) WHERE status = 'pending';
