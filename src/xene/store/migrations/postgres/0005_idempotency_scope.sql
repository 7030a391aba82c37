-- Xene store, version 5 (PostgreSQL). Keep equal to sqlite/0005.

-- An idempotency key is unique within its workflow and pipeline, not across the store:
-- two workflows may use the same key.
ALTER TABLE runs DROP CONSTRAINT runs_idempotency_key_key;
CREATE UNIQUE INDEX runs_by_idempotency_key ON runs (workflow, pipeline, idempotency_key);

-- Each retry of a run (`xene retry`, POST /runs/{id}/retry): who, when, from where, and
-- the nodes it ran again as they were before (nodes_json: [[key, state, attempt, error,
-- started_at, ended_at], ...]). Log chunks after log_seq belong to the retry.
CREATE TABLE retries (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    number BIGINT NOT NULL,
    retried_by TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    from_node TEXT,
    log_seq BIGINT NOT NULL,
    nodes_json TEXT NOT NULL,
    PRIMARY KEY (run_id, number)
);
