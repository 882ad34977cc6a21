-- Erasure redacts the events that carry a customer's personal data: customer.created and
-- customer.updated (Events.RedactCustomerAsync, whose statement names these two types in the same
-- words, so that the planner can use this index). Only those events are indexed by their subject.
-- Before, every event about a customer was: each award, spend, order and redemption wrote an entry
-- into this index on a page of its own, for a lookup that never reads it (docs/PERFORMANCE.md).
DROP INDEX ix_events_subject;
CREATE INDEX ix_events_customer_data ON events (subject_id) WHERE type IN ('customer.created', 'customer.updated');
