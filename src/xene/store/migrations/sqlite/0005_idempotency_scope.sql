-- Xene store, version 5 (SQLite). Keep equal to postgres/0005.

-- An idempotency key is unique within its workflow and pipeline, not across the store:
-- two workflows may use the same key. SQLite cannot drop a column's UNIQUE, so the runs
-- table is rebuilt (SQLite's documented way). The store runs migrations with foreign
-- keys off: dropping the old table leaves the nodes, steps, logs and suspensions that
-- refer to runs as they are. `SELECT *` fails loudly should an earlier migration have
-- added a column this list lacks.
CREATE TABLE runs_scoped (
    id TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    state TEXT NOT NULL,
    input_json TEXT NOT NULL,
    error TEXT,
    created_at REAL NOT NULL,
    started_at REAL,
    ended_at REAL,
    idempotency_key TEXT,
    source_path TEXT NOT NULL,
    source_text TEXT NOT NULL,
    source_format TEXT NOT NULL,
    owner TEXT NOT NULL,
    lease_until REAL NOT NULL,
    cancel_requested INTEGER NOT NULL DEFAULT 0
);
INSERT INTO runs_scoped SELECT * FROM runs;
DROP TABLE runs;
ALTER TABLE runs_scoped RENAME TO runs;
CREATE INDEX runs_by_state ON runs (state, id);
CREATE INDEX runs_by_workflow ON runs (workflow, id);
CREATE INDEX runs_unfinished ON runs (id)
    WHERE state NOT IN ('Success', 'Error', 'Cancelled', 'ErrorConfiguring');
CREATE INDEX runs_by_end ON runs (ended_at);
CREATE UNIQUE INDEX runs_by_idempotency_key ON runs (workflow, pipeline, idempotency_key);

-- Each retry of a run (`xene retry`, POST /runs/{id}/retry): who, when, from where, and
-- the nodes it ran again as they were before (nodes_json: [[key, state, attempt, error,
-- started_at, ended_at], ...]). Log chunks after log_seq belong to the retry.
CREATE TABLE retries (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    number INTEGER NOT NULL,
    retried_by TEXT NOT NULL,
    at REAL NOT NULL,
    from_node TEXT,
    log_seq INTEGER NOT NULL,
    nodes_json TEXT NOT NULL,
    PRIMARY KEY (run_id, number)
);
