-- Xene store, version 1 (PostgreSQL). Keep the tables and columns equal to sqlite/0001.
-- JSON is TEXT; times are double precision seconds since the epoch.

CREATE TABLE runs (
    id TEXT PRIMARY KEY,
    workflow TEXT NOT NULL,
    pipeline TEXT NOT NULL,
    state TEXT NOT NULL,
    input_json TEXT NOT NULL,
    error TEXT,
    created_at DOUBLE PRECISION NOT NULL,
    started_at DOUBLE PRECISION,
    ended_at DOUBLE PRECISION,
    idempotency_key TEXT UNIQUE,
    source_path TEXT NOT NULL,
    source_text TEXT NOT NULL,
    source_format TEXT NOT NULL,
    owner TEXT NOT NULL,
    lease_until DOUBLE PRECISION NOT NULL
);
CREATE INDEX runs_by_state ON runs (state, id);
CREATE INDEX runs_by_workflow ON runs (workflow, id);
CREATE INDEX runs_unfinished ON runs (id)
    WHERE state NOT IN ('Success', 'Error', 'Cancelled', 'ErrorConfiguring');
CREATE INDEX runs_by_end ON runs (ended_at);

CREATE TABLE nodes (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    ord BIGINT NOT NULL,
    node_id TEXT NOT NULL,
    type TEXT NOT NULL,
    scope_json TEXT NOT NULL,
    state TEXT NOT NULL,
    attempt BIGINT NOT NULL,
    input_json TEXT NOT NULL,
    output_json TEXT NOT NULL,
    ports_json TEXT NOT NULL,
    error TEXT,
    started_at DOUBLE PRECISION,
    ended_at DOUBLE PRECISION,
    progress_json TEXT NOT NULL,
    PRIMARY KEY (run_id, key)
);
CREATE INDEX nodes_in_order ON nodes (run_id, ord);

CREATE TABLE steps (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    node_key TEXT NOT NULL,
    idx BIGINT NOT NULL,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    exit_code BIGINT,
    error TEXT,
    started_at DOUBLE PRECISION,
    ended_at DOUBLE PRECISION,
    PRIMARY KEY (run_id, node_key, idx)
);

CREATE TABLE logs (
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    node TEXT NOT NULL,
    step TEXT,
    at DOUBLE PRECISION NOT NULL,
    text TEXT NOT NULL,
    PRIMARY KEY (run_id, seq)
);

CREATE TABLE suspensions (
    hook_id TEXT PRIMARY KEY,
    run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
    node TEXT NOT NULL,
    metadata_json TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    timeout_at DOUBLE PRECISION,
    timeout_action TEXT NOT NULL,
    decision TEXT,
    data_json TEXT NOT NULL,
    reason TEXT NOT NULL,
    decided_at DOUBLE PRECISION
);
CREATE INDEX suspensions_by_run ON suspensions (run_id);

CREATE TABLE fires (
    trigger_id TEXT NOT NULL,
    fire_key TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (trigger_id, fire_key)
);

CREATE TABLE machines (
    name TEXT PRIMARY KEY,
    definition_json TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL
);

CREATE TABLE instances (
    id TEXT PRIMARY KEY,
    machine TEXT NOT NULL,
    state TEXT NOT NULL,
    created_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL
);
CREATE INDEX instances_by_machine ON instances (machine, created_at);

CREATE TABLE transitions (
    instance_id TEXT NOT NULL REFERENCES instances (id) ON DELETE CASCADE,
    seq BIGINT NOT NULL,
    event TEXT NOT NULL,
    from_state TEXT NOT NULL,
    to_state TEXT NOT NULL,
    at DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (instance_id, seq)
);
