-- Xene store, version 13 (SQLite): the labels a run needs of the agent that executes
-- it. Keep equal to postgres/0013.

-- One row per run whose pipeline names agent labels (most runs have none, and no row).
CREATE TABLE run_labels (
    run_id TEXT PRIMARY KEY REFERENCES runs (id) ON DELETE CASCADE,
    labels TEXT NOT NULL             -- a JSON array of strings, sorted
);
