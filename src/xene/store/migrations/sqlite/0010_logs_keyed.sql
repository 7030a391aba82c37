-- Xene store, version 10 (SQLite). postgres/0010 is empty: PostgreSQL tables have no rowid.

-- Every log line of a split item is one row, so each costs as little as it can: the logs
-- table is rebuilt keyed by (run_id, seq) itself (WITHOUT ROWID), so that key is not kept
-- a second time in an index (43 of the 117 bytes a line cost). Lines are appended in seq
-- order, so rows still go to the end of the tree. Foreign keys are off while migrating.
CREATE TABLE logs_keyed (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    node TEXT NOT NULL,
    step TEXT,
    at REAL NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
) WITHOUT ROWID;
INSERT INTO logs_keyed SELECT * FROM logs;
DROP TABLE logs;
ALTER TABLE logs_keyed RENAME TO logs;
