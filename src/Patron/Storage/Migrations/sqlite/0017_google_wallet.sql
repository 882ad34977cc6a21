-- Google Wallet loyalty objects (docs/WALLET.md): one row per member whose "Save to Google Wallet"
-- link Patron signed. The update queue is what these rows say: an object is due while its
-- customer's updated_at (bumped in the same transaction as every balance change) is newer than the
-- version Google was last given, so a change and its queued update are committed together and
-- survive any restart. attempts and next_attempt_at hold the retries' backoff (and a claim's lease).
CREATE TABLE google_wallet_objects (
    object_id             TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    customer_id           TEXT    NOT NULL,
    synced_version        INTEGER  NOT NULL,
    attempts              INTEGER NOT NULL DEFAULT 0,
    next_attempt_at       INTEGER  NOT NULL DEFAULT 0,
    last_error            TEXT,
    created_at            INTEGER  NOT NULL
);
CREATE INDEX ix_google_wallet_objects_customer ON google_wallet_objects (program_id, customer_id);
CREATE INDEX ix_google_wallet_objects_due ON google_wallet_objects (next_attempt_at);
