-- Wallet passes (docs/WALLET.md). One row per pass Patron issued: its serial number is the
-- customer's id. The pass counts as updated when the customer's row is (customers.updated_at is
-- bumped in the same write as every balance change), so nothing here is written on a balance change.
CREATE TABLE wallet_passes (
    pass_type_identifier  TEXT    NOT NULL,
    serial_number         TEXT    NOT NULL,
    program_id            TEXT    NOT NULL,
    customer_id           TEXT    NOT NULL,
    created_at            INTEGER  NOT NULL,
    PRIMARY KEY (pass_type_identifier, serial_number)
);
CREATE INDEX ix_wallet_passes_customer ON wallet_passes (program_id, customer_id);

-- The devices that registered a pass for updates (Apple's PassKit web service), with the push
-- token Wallet gave for it.
CREATE TABLE wallet_registrations (
    device_library_identifier TEXT NOT NULL,
    pass_type_identifier  TEXT    NOT NULL,
    serial_number         TEXT    NOT NULL,
    push_token            TEXT    NOT NULL,
    created_at            INTEGER  NOT NULL,
    PRIMARY KEY (device_library_identifier, pass_type_identifier, serial_number)
);
CREATE INDEX ix_wallet_registrations_pass ON wallet_registrations (pass_type_identifier, serial_number);
