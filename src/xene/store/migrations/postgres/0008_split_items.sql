-- Xene store, version 8 (PostgreSQL). Keep equal to sqlite/0008.

-- A split of 100,000 items leaves 100,000 node rows: each costs as little as it can.
-- The next node order and log sequence are counted on the run: MAX(ord) went through
-- an index on (run_id, ord) that every node row paid for, and MAX(seq) grew costlier
-- with each of a long run's commits. Rows are read in order by sorting one run's rows.
ALTER TABLE runs ADD COLUMN node_ords BIGINT NOT NULL DEFAULT 0;
ALTER TABLE runs ADD COLUMN log_seqs BIGINT NOT NULL DEFAULT 0;
UPDATE runs SET
    node_ords = (SELECT COALESCE(MAX(ord), 0) FROM nodes WHERE run_id = runs.id),
    log_seqs = (SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = runs.id);
DROP INDEX nodes_in_order;
