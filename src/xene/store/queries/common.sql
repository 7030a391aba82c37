-- Named queries shared by SQLite and PostgreSQL (procrastinate style: `-- name:` blocks).
-- Placeholders are `?`; the PostgreSQL store turns them into `%s` once, at load.
-- `{final}` stands for the list of final run states (base.FINAL_STATES).
-- A dialect file (sqlite.sql, postgres.sql) overrides a block of the same name.

-- name: create_schema_version
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at REAL NOT NULL
)

-- name: lock_migrations
SELECT 1

-- name: schema_version
SELECT COALESCE(MAX(version), 0) FROM schema_version

-- name: record_version
INSERT INTO schema_version (version, applied_at) VALUES (?, ?)

-- name: insert_run
INSERT INTO runs (
    id, workflow, pipeline, state, input_json, error, created_at, started_at, ended_at,
    idempotency_key, source_path, source_text, source_format, owner, lease_until
) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, NULL, ?, ?, ?, ?, ?, ?)
ON CONFLICT (idempotency_key) DO NOTHING

-- name: run_by_key
SELECT id FROM runs WHERE idempotency_key = ?

-- name: update_run
UPDATE runs SET state = ?, error = ?, started_at = ?, ended_at = ? WHERE id = ?

-- name: update_lease
UPDATE runs SET lease_until = ? WHERE id = ?

-- name: lock_run
SELECT id FROM runs WHERE id = ?

-- name: run_counters
-- Where a run's node order and log sequence stand.
SELECT
    (SELECT COALESCE(MAX(ord), 0) FROM nodes WHERE run_id = ?),
    (SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = ?)

-- name: upsert_node
INSERT INTO nodes (
    run_id, key, ord, node_id, type, scope_json, state, attempt, input_json, output_json,
    ports_json, error, started_at, ended_at, progress_json
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, key) DO UPDATE SET
    node_id = excluded.node_id, type = excluded.type, scope_json = excluded.scope_json,
    state = excluded.state, attempt = excluded.attempt, input_json = excluded.input_json,
    output_json = excluded.output_json, ports_json = excluded.ports_json,
    error = excluded.error, started_at = excluded.started_at, ended_at = excluded.ended_at,
    progress_json = excluded.progress_json

-- name: upsert_step
INSERT INTO steps (
    run_id, node_key, idx, name, state, exit_code, error, started_at, ended_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, node_key, idx) DO UPDATE SET
    name = excluded.name, state = excluded.state, exit_code = excluded.exit_code,
    error = excluded.error, started_at = excluded.started_at, ended_at = excluded.ended_at

-- name: insert_log
INSERT INTO logs (run_id, seq, node, step, at, text) VALUES (?, ?, ?, ?, ?, ?)

-- name: upsert_suspension
-- A decision, once recorded, is changed by nothing but `decide` (a compare-and-set).
INSERT INTO suspensions (
    hook_id, run_id, node, metadata_json, created_at, timeout_at, timeout_action,
    decision, data_json, reason, decided_at
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (hook_id) DO UPDATE SET
    node = excluded.node, metadata_json = excluded.metadata_json,
    timeout_at = excluded.timeout_at, timeout_action = excluded.timeout_action

-- name: get_run
SELECT id, workflow, pipeline, state, input_json, error, started_at, ended_at,
    source_path, source_text, source_format, owner, lease_until, idempotency_key
FROM runs WHERE id = ?

-- name: run_nodes
SELECT key, node_id, type, scope_json, state, attempt, input_json, output_json, ports_json,
    error, started_at, ended_at, progress_json
FROM nodes WHERE run_id = ? ORDER BY ord

-- name: run_steps
SELECT node_key, idx, name, state, exit_code, error, started_at, ended_at
FROM steps WHERE run_id = ? ORDER BY node_key, idx

-- name: list_runs
SELECT id, workflow, pipeline, state, created_at, started_at, ended_at, error, owner,
    lease_until
FROM runs
WHERE (CAST(? AS TEXT) IS NULL OR workflow = ?)
    AND (CAST(? AS TEXT) IS NULL OR pipeline = ?)
    AND (CAST(? AS TEXT) IS NULL OR state = ?)
    AND (CAST(? AS TEXT) IS NULL OR id < ?)
ORDER BY id DESC LIMIT ?

-- name: unfinished_runs
SELECT id, workflow, pipeline, state, created_at, started_at, ended_at, error, owner,
    lease_until
FROM runs WHERE state NOT IN {final} ORDER BY id

-- name: run_owner
SELECT owner FROM runs WHERE id = ?

-- name: claim_run
-- Compare-and-set: the lease has expired, or it is ours, or its owner (seen dead) is
-- still the owner.
UPDATE runs SET owner = ?, lease_until = ?
WHERE id = ? AND state NOT IN {final} AND (lease_until < ? OR owner = ? OR owner = ?)

-- name: read_logs
SELECT run_id, node, step, at, text, seq FROM logs
WHERE run_id = ? AND seq > ?
    AND (CAST(? AS TEXT) IS NULL OR node = ?)
    AND (CAST(? AS TEXT) IS NULL OR step = ?)
ORDER BY seq LIMIT ?

-- name: delete_runs
-- Nodes, steps, logs and suspensions go with their run (ON DELETE CASCADE).
DELETE FROM runs WHERE state IN {final} AND ended_at < ?

-- name: pending_suspensions
SELECT hook_id, run_id, node, metadata_json, created_at, timeout_at, timeout_action,
    decision, data_json, reason, decided_at
FROM suspensions WHERE decision IS NULL ORDER BY created_at, hook_id

-- name: all_suspensions
SELECT hook_id, run_id, node, metadata_json, created_at, timeout_at, timeout_action,
    decision, data_json, reason, decided_at
FROM suspensions ORDER BY created_at, hook_id

-- name: get_suspension
SELECT hook_id, run_id, node, metadata_json, created_at, timeout_at, timeout_action,
    decision, data_json, reason, decided_at
FROM suspensions WHERE hook_id = ?

-- name: decide
UPDATE suspensions SET decision = ?, data_json = ?, reason = ?, decided_at = ?
WHERE hook_id = ? AND decision IS NULL

-- name: record_fire
INSERT INTO fires (trigger_id, fire_key, at) VALUES (?, ?, ?)
ON CONFLICT (trigger_id, fire_key) DO NOTHING

-- name: define_machine
INSERT INTO machines (name, definition_json, created_at) VALUES (?, ?, ?)
ON CONFLICT (name) DO NOTHING

-- name: get_machine
SELECT definition_json FROM machines WHERE name = ?

-- name: list_machines
SELECT name FROM machines ORDER BY name

-- name: insert_instance
INSERT INTO instances (id, machine, state, created_at, updated_at) VALUES (?, ?, ?, ?, ?)

-- name: move_instance
UPDATE instances SET state = ?, updated_at = ? WHERE id = ? AND state = ?

-- name: last_transition_seq
SELECT COALESCE(MAX(seq), 0) FROM transitions WHERE instance_id = ?

-- name: insert_transition
INSERT INTO transitions (instance_id, seq, event, from_state, to_state, at)
VALUES (?, ?, ?, ?, ?, ?)

-- name: get_instance
SELECT id, machine, state, created_at, updated_at FROM instances WHERE id = ?

-- name: instance_history
SELECT event, from_state, to_state, at FROM transitions WHERE instance_id = ? ORDER BY seq

-- name: list_instances
SELECT id, machine, state, created_at, updated_at FROM instances WHERE machine = ?
ORDER BY created_at, id
