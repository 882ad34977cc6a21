-- The merchant's free-text notes about a customer ("VIP customer"), up to 2,000 characters.
-- Personal data: erasure clears it with the other personal fields.
ALTER TABLE customers ADD COLUMN notes TEXT NULL;
