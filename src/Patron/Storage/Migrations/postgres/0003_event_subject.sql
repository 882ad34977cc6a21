-- The customer an event is about, so that erasure can find and redact every event that carries
-- the customer's personal data (docs/API.md, Customers: DELETE is erasure).
ALTER TABLE events ADD COLUMN subject_id TEXT NULL;
UPDATE events SET subject_id = data::jsonb ->> 'id' WHERE type LIKE 'customer.%';
UPDATE events SET subject_id = data::jsonb ->> 'customer_id' WHERE subject_id IS NULL AND data::jsonb ->> 'customer_id' IS NOT NULL;
CREATE INDEX ix_events_subject ON events (subject_id) WHERE subject_id IS NOT NULL;
