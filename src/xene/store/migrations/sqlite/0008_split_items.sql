-- Xene store, version 8 (SQLite). Keep equal to postgres/0008.

-- A split of 100,000 items leaves 100,000 node rows: each costs as little as it can.
-- The next node order and log sequence are counted on the run: MAX(ord) went through
-- an index on (run_id, ord) that every node row paid for, and MAX(seq) grew costlier
-- with each of a long run's commits. Rows are read in order by sorting one run's rows.
-- The nodes table is rebuilt keyed by (run_id, key) itself (WITHOUT ROWID), so that
-- key is not kept a second time in an index. The store runs migrations with
-- foreign keys off; `SELECT *` fails loudly should an earlier migration have added a
-- column this list lacks.
ALTER TABLE runs ADD COLUMN node_ords INTEGER NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN log_seqs INTEGER NOT NULL DEFAULT 0;
UPDATE runs SET
    node_ords = (SELECT COALESCE(MAX(ord), 0) FROM nodes WHERE run_id = runs.id),
    log_seqs = (SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = runs.id);
CREATE TABLE nodes_keyed (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    ord INTEGER NOT NULL,
    node_id TEXT NOT NULL,
    type TEXT NOT NULL,
    scope_json TEXT NOT NULL,
    state TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    input_json TEXT NOT NULL,
    output_json TEXT NOT NULL,
    ports_json TEXT NOT NULL,
    error TEXT,
    started_at REAL,
    ended_at REAL,
    progress_json TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
) WITHOUT ROWID;
INSERT INTO nodes_keyed SELECT * FROM nodes;
DROP TABLE nodes;
ALTER TABLE nodes_keyed RENAME TO nodes;
