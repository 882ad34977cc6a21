-- Activities (docs/API.md, Activities): one row per activity that earned, so that a repeated
-- `reference` answers the original result, and for the audit trail.
CREATE TABLE activities (
    id                    TEXT    NOT NULL PRIMARY KEY,
    program_id            TEXT    NOT NULL,
    customer_id           TEXT    NOT NULL,
    type                  TEXT    NOT NULL,
    rule_id               TEXT    NULL,
    points_awarded        BIGINT  NOT NULL,
    transaction_id        TEXT    NULL,
    reference             TEXT    NULL,
    properties            TEXT    NULL,
    created_by            TEXT    NOT NULL,
    created_at            BIGINT  NOT NULL
);
CREATE INDEX ix_activities_program ON activities (program_id, id);
CREATE INDEX ix_activities_customer ON activities (customer_id, id);
CREATE UNIQUE INDEX ux_activities_reference ON activities (customer_id, reference) WHERE reference IS NOT NULL;

-- The birthday job looks customers up by month and day of their birthday ('YYYY-MM-DD').
CREATE INDEX ix_customers_birthday ON customers (program_id, (substr(birthday, 6, 5))) WHERE birthday IS NOT NULL;
