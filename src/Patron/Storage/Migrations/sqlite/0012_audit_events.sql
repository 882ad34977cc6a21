-- The audit trail (docs/AUDIT.md): who changed money, points, keys, webhooks, tiers, rules, rewards or
-- program settings, when, and the changed fields before and after. Written in the same transaction as
-- the change. Never deleted by customer erasure: erasure redacts the customer's personal data in
-- before/after instead (customer_id names the customer a row is about). Snapshots never hold secrets.
CREATE TABLE audit_events (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    actor_kind            TEXT    NOT NULL,
    actor_id              TEXT    NOT NULL,
    action                TEXT    NOT NULL,
    subject_type          TEXT    NOT NULL,
    subject_id            TEXT    NOT NULL,
    customer_id           TEXT    NULL,
    before_data           TEXT    NULL,
    after_data            TEXT    NULL,
    created_at            INTEGER NOT NULL
);
-- The list pages by id within a program; filters narrow that scan.
CREATE INDEX ix_audit_events_program ON audit_events (program_id, id);
