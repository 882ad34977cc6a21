-- Customer search (part of a name, email or phone) through a trigram index instead of reading every
-- customer. An FTS5 table with the trigram tokenizer over customers.search_text and customers.phone,
-- keyed by the customer row's rowid; "external content" (content = 'customers'), so it stores the index
-- only, not a second copy of the text. The triggers keep it in step with every write: insert (the API,
-- the bulk import, the benchmark seeder), a change of name, email or phone, erasure (which sets both
-- to NULL) and delete. A search term of three or more characters reads the index for candidates and
-- the query still applies the exact LIKE to them (CustomerSearch), so the index only makes it faster.
-- customers has indexes, so VACUUM and VACUUM INTO keep its rowids (and the index stays valid).
CREATE VIRTUAL TABLE customers_search USING fts5(
    search_text, phone, content = 'customers', tokenize = 'trigram');

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers
    WHEN new.search_text IS NOT NULL OR new.phone IS NOT NULL
BEGIN
    INSERT INTO customers_search (rowid, search_text, phone) VALUES (new.rowid, new.search_text, new.phone);
END;

CREATE TRIGGER customers_search_delete AFTER DELETE ON customers
    WHEN old.search_text IS NOT NULL OR old.phone IS NOT NULL
BEGIN
    INSERT INTO customers_search (customers_search, rowid, search_text, phone)
    VALUES ('delete', old.rowid, old.search_text, old.phone);
END;

CREATE TRIGGER customers_search_update AFTER UPDATE OF search_text, phone ON customers
    WHEN old.search_text IS NOT new.search_text OR old.phone IS NOT new.phone
BEGIN
    INSERT INTO customers_search (customers_search, rowid, search_text, phone)
    SELECT 'delete', old.rowid, old.search_text, old.phone
    WHERE old.search_text IS NOT NULL OR old.phone IS NOT NULL;
    INSERT INTO customers_search (rowid, search_text, phone)
    SELECT new.rowid, new.search_text, new.phone
    WHERE new.search_text IS NOT NULL OR new.phone IS NOT NULL;
END;

-- The customers already there (about 15 s for 1,000,000; docs/PERFORMANCE.md).
INSERT INTO customers_search (rowid, search_text, phone)
SELECT rowid, search_text, phone FROM customers WHERE search_text IS NOT NULL OR phone IS NOT NULL;
