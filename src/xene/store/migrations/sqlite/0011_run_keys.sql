-- Xene store, version 11 (SQLite). Keep the tables and columns equal to postgres/0011.

-- A split of 100,000 items leaves 100,000 node rows and as many log rows, each of which
-- repeated the run's id (27 bytes). A run is given a number of its own (run_key: its
-- rowid now, the next above the largest for a new run, see sqlite.sql `insert_run`; a
-- rowid itself may change on VACUUM), looked up by its id within each statement; the
-- node and log rows carry that instead. Both tables are rebuilt (WITHOUT ROWID, as
-- before) with their columns in PostgreSQL's order. Foreign keys are off while migrating.
ALTER TABLE runs ADD COLUMN run_key INTEGER;
UPDATE runs SET run_key = rowid;
CREATE UNIQUE INDEX runs_by_key ON runs (run_key);

CREATE TABLE nodes_by_run_key (
    run_key INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
    ord INTEGER NOT NULL,
    attempt INTEGER NOT NULL,
    started_at REAL,
    ended_at REAL,
    key TEXT NOT NULL,
    node_id TEXT NOT NULL,
    type TEXT NOT NULL,
    scope_json TEXT NOT NULL,
    state TEXT NOT NULL,
    input_json TEXT NOT NULL,
    output_json TEXT NOT NULL,
    ports_json TEXT NOT NULL,
    error TEXT,
    progress_json TEXT NOT NULL,
    PRIMARY KEY (run_key, key)
) WITHOUT ROWID;
INSERT INTO nodes_by_run_key
SELECT r.run_key, n.ord, n.attempt, n.started_at, n.ended_at, n.key, n.node_id, n.type,
    n.scope_json, n.state, n.input_json, n.output_json, n.ports_json, n.error,
    n.progress_json
FROM nodes n JOIN runs r ON r.id = n.run_id;
DROP TABLE nodes;
ALTER TABLE nodes_by_run_key RENAME TO nodes;

CREATE TABLE logs_by_run_key (
    run_key INTEGER NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    at REAL NOT NULL,
    node TEXT NOT NULL,
    step TEXT,
    text TEXT NOT NULL,
    PRIMARY KEY (run_key, seq)
) WITHOUT ROWID;
INSERT INTO logs_by_run_key
SELECT r.run_key, l.seq, l.at, l.node, l.step, l.text
FROM logs l JOIN runs r ON r.id = l.run_id;
DROP TABLE logs;
ALTER TABLE logs_by_run_key RENAME TO logs;
