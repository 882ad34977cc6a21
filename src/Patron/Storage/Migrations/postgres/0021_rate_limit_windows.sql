-- Rate limits shared by every Patron instance of this database (docs/SCALING.md). One row per
-- limiter key (an API key's id, "member:<customer>", ...): the window it is in and how many requests
-- instances have leased from that window's budget so far. Instances lease small blocks with one
-- upsert and count within a block in memory. Rows of windows that ended are deleted by a background
-- job. PostgreSQL only: a SQLite database has one server (ServeLock), which counts in memory.
CREATE TABLE rate_limit_windows (
    limiter_key TEXT NOT NULL PRIMARY KEY,
    window_start BIGINT NOT NULL,
    used BIGINT NOT NULL
);
CREATE INDEX ix_rate_limit_windows_start ON rate_limit_windows (window_start);
