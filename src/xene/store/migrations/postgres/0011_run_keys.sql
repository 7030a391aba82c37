-- Xene store, version 11 (PostgreSQL). Keep the tables and columns equal to sqlite/0011.

-- A split of 100,000 items leaves 100,000 node rows and as many log rows, each of which
-- repeated the run's id (27 bytes) in its row and again in its primary key's index entry.
-- A run is given a number of its own (run_key, 8 bytes), looked up by its id within each
-- statement; the node and log rows carry that instead. They are rebuilt with their
-- fixed-width columns first, so no column is padded to its alignment (13 bytes of every
-- node row, 7 of every log row). About a quarter of a split item's bytes go.
ALTER TABLE runs ADD COLUMN run_key BIGINT GENERATED ALWAYS AS IDENTITY;
ALTER TABLE runs ADD CONSTRAINT runs_by_key UNIQUE (run_key);

CREATE TABLE nodes_by_run_key (
    run_key BIGINT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
    ord BIGINT NOT NULL,
    attempt BIGINT NOT NULL,
    started_at DOUBLE PRECISION,
    ended_at DOUBLE PRECISION,
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
);
INSERT INTO nodes_by_run_key
SELECT r.run_key, n.ord, n.attempt, n.started_at, n.ended_at, n.key, n.node_id, n.type,
    n.scope_json, n.state, n.input_json, n.output_json, n.ports_json, n.error,
    n.progress_json
FROM nodes n JOIN runs r ON r.id = n.run_id;
DROP TABLE nodes;
ALTER TABLE nodes_by_run_key RENAME TO nodes;
ALTER INDEX nodes_by_run_key_pkey RENAME TO nodes_pkey;

CREATE TABLE logs_by_run_key (
    run_key BIGINT NOT NULL REFERENCES runs (run_key) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    node TEXT NOT NULL,
    step TEXT,
    text TEXT NOT NULL,
    PRIMARY KEY (run_key, seq)
);
INSERT INTO logs_by_run_key
SELECT r.run_key, l.seq, l.at, l.node, l.step, l.text
FROM logs l JOIN runs r ON r.id = l.run_id;
DROP TABLE logs;
ALTER TABLE logs_by_run_key RENAME TO logs;
ALTER INDEX logs_by_run_key_pkey RENAME TO logs_pkey;
