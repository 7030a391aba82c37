-- Xene store, version 9 (PostgreSQL): trigger fires skipped because the server's
-- queue was full (back-pressure). Keep equal to sqlite/0009.

-- One row per trigger: its latest skipped fire, why, and how many it skipped so far.
CREATE TABLE skipped_fires (
    workflow TEXT NOT NULL,
    trigger_name TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    reason TEXT NOT NULL,
    skipped INTEGER NOT NULL,
    PRIMARY KEY (workflow, trigger_name)
);
