-- Apple Wallet pushes (docs/WALLET.md). A registered device is told about a change by an empty
-- push to APNs. The queue is what these columns say, as for Google Wallet (0017): a registration is
-- due while its pass's customer changed (customers.updated_at, written by the balance change's own
-- transaction) after the version the device was last pushed, so a change and its queued push are
-- committed together and survive any restart. push_attempts and next_push_at hold the retries'
-- backoff (and a claim's lease).
ALTER TABLE wallet_registrations ADD COLUMN pushed_version BIGINT NOT NULL DEFAULT 0;
ALTER TABLE wallet_registrations ADD COLUMN push_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE wallet_registrations ADD COLUMN next_push_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE wallet_registrations ADD COLUMN last_push_error TEXT NULL;

-- Devices registered before pushes existed polled for what they have: push only their next change.
UPDATE wallet_registrations SET pushed_version = COALESCE((
    SELECT c.updated_at FROM wallet_passes p
    JOIN customers c ON c.id = p.customer_id AND c.program_id = p.program_id
    WHERE p.pass_type_identifier = wallet_registrations.pass_type_identifier
      AND p.serial_number = wallet_registrations.serial_number), 0);

CREATE INDEX ix_wallet_registrations_push_due ON wallet_registrations (next_push_at);
CREATE INDEX ix_wallet_registrations_push_token ON wallet_registrations (pass_type_identifier, push_token);
