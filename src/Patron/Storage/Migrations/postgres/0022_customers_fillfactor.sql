-- Every award, deduction and order updates its customer's row (the balance and its counters). None
-- of the columns it changes is indexed, so PostgreSQL can make that a HOT update (a new row version
-- on the same page, no new entry in any of the customer indexes) - but only if the page has room.
-- At the default fillfactor of 100 a page is packed full, and the first update of each row moves it
-- to another page and adds an entry to all nine customer indexes. Leaving a tenth of each page free
-- keeps most balance updates HOT (docs/PERFORMANCE.md, "Where the time goes" for PostgreSQL awards).
-- Pages written from now on keep the space; existing rows gain it as they are updated.
ALTER TABLE customers SET (fillfactor = 90);
