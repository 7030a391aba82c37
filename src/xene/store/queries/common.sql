-- Named queries shared by SQLite and PostgreSQL (procrastinate style: `-- name:` blocks).
-- Placeholders are `?`; the PostgreSQL store turns them into `%s` once, at load.
-- `{final}` stands for the list of final run states (sqlfiles.FINAL_RUN_STATES).
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

-- name: applied_versions
SELECT version FROM schema_version

-- name: record_version
INSERT INTO schema_version (version, applied_at) VALUES (?, ?)

-- name: insert_run
-- A run's run_key, which its node and log rows carry, is generated (sqlite.sql: counted).
-- Its epoch is 1 for a run its creator executes at once, 0 for a queued one.
INSERT INTO runs (
    id, workflow, pipeline, state, input_json, error, created_at, started_at, ended_at,
    idempotency_key, source_path, source_text, source_format, owner, lease_until, epoch,
    trigger_name
) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (workflow, pipeline, idempotency_key) DO NOTHING

-- name: run_by_key
SELECT id FROM runs WHERE workflow = ? AND pipeline = ? AND idempotency_key = ?

-- name: update_run
UPDATE runs SET state = ?, error = ?, started_at = ?, ended_at = ? WHERE id = ?

-- name: update_lease
UPDATE runs SET lease_until = ? WHERE id = ?

-- name: lock_run
-- And the epoch and commit number a fenced commit is checked against.
SELECT epoch, commit_seq FROM runs WHERE id = ?

-- name: run_fence
-- Why a commit's run row update found no row: the run is gone, its epoch has moved on
-- (fenced), or the commit was applied already (a duplicate).
SELECT epoch, commit_seq FROM runs WHERE id = ?

-- name: update_commit_seq
UPDATE runs SET commit_seq = ? WHERE id = ?

-- name: run_counters
-- Where a run's node order and log sequence stand (counted on the run: a MAX over its
-- rows would cost more with each of a long run's commits).
SELECT node_ords, log_seqs FROM runs WHERE id = ?

-- name: upsert_node
-- Node and log rows carry their run's run_key (migration 0011), looked up by its id.
INSERT INTO nodes (
    run_key, key, ord, node_id, type, scope_json, state, attempt, input_json, output_json,
    ports_json, error, started_at, ended_at, progress_json, note
) VALUES ((SELECT run_key FROM runs WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_key, key) DO UPDATE SET
    node_id = excluded.node_id, type = excluded.type, scope_json = excluded.scope_json,
    state = excluded.state, attempt = excluded.attempt, input_json = excluded.input_json,
    output_json = excluded.output_json, ports_json = excluded.ports_json,
    error = excluded.error, started_at = excluded.started_at, ended_at = excluded.ended_at,
    progress_json = excluded.progress_json, note = excluded.note

-- name: insert_node
-- `upsert_node` for the first nodes of a run (its `node_ords` was 0: it had none), which
-- are all new: nothing to check for a conflict.
INSERT INTO nodes (
    run_key, key, ord, node_id, type, scope_json, state, attempt, input_json, output_json,
    ports_json, error, started_at, ended_at, progress_json, note
) VALUES ((SELECT run_key FROM runs WHERE id = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)

-- name: update_counters
UPDATE runs SET node_ords = ?, log_seqs = ? WHERE id = ?

-- name: commit_run
-- `lock_run`, `run_counters`, `update_run`, `update_lease` and `update_counters` in one
-- statement, used on PostgreSQL (SQLite before 3.35 has no UPDATE ... RETURNING): it
-- locks the run row, so concurrent commits of a run go in turn, and in READ COMMITTED an
-- UPDATE that waited for the lock works on the row's latest version and returns it. The
-- counters returned are those after this commit's nodes and chunks; the run_key is what
-- PostgreSQL's one-statement commit (postgres_commit.sql) writes its rows with. A batch
-- of another epoch than the run's (fenced), or whose number the run has applied already
-- (a duplicate), matches no row: `run_fence` then tells which.
UPDATE runs SET state = ?, error = ?, started_at = ?, ended_at = ?,
    lease_until = COALESCE(?, lease_until),
    node_ords = node_ords + ?, log_seqs = log_seqs + ?, commit_seq = COALESCE(?, commit_seq)
WHERE id = ? AND (CAST(? AS BIGINT) IS NULL OR epoch = ?)
    AND (CAST(? AS BIGINT) IS NULL OR commit_seq < ?)
RETURNING node_ords, log_seqs, run_key

-- name: commit_counters
-- `commit_run` for a commit that leaves the run's state and times as they are.
UPDATE runs SET lease_until = COALESCE(?, lease_until),
    node_ords = node_ords + ?, log_seqs = log_seqs + ?, commit_seq = COALESCE(?, commit_seq)
WHERE id = ? AND (CAST(? AS BIGINT) IS NULL OR epoch = ?)
    AND (CAST(? AS BIGINT) IS NULL OR commit_seq < ?)
RETURNING node_ords, log_seqs, run_key

-- name: update_progress
UPDATE nodes SET progress_json = ? WHERE run_key = (SELECT run_key FROM runs WHERE id = ?) AND key = ?

-- name: upsert_step
INSERT INTO steps (
    run_id, node_key, idx, name, state, exit_code, error, started_at, ended_at, process
) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (run_id, node_key, idx) DO UPDATE SET
    name = excluded.name, state = excluded.state, exit_code = excluded.exit_code,
    error = excluded.error, started_at = excluded.started_at, ended_at = excluded.ended_at,
    process = excluded.process

-- name: insert_log
INSERT INTO logs (run_key, seq, node, step, at, text) VALUES ((SELECT run_key FROM runs WHERE id = ?), ?, ?, ?, ?, ?)

-- name: upsert_approval
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
    source_path, source_text, source_format, owner, lease_until, idempotency_key, epoch
FROM runs WHERE id = ?

-- name: run_nodes
SELECT key, node_id, type, scope_json, state, attempt, input_json, output_json, ports_json,
    error, started_at, ended_at, progress_json, note
FROM nodes WHERE run_key = (SELECT run_key FROM runs WHERE id = ?) ORDER BY ord

-- name: run_steps
SELECT node_key, idx, name, state, exit_code, error, started_at, ended_at, process
FROM steps WHERE run_id = ? ORDER BY node_key, idx

-- name: run_nodes_outside
-- The records of the nodes outside splits and loops (a key inside one has a `[`).
SELECT key, node_id, type, scope_json, state, attempt, input_json, output_json, ports_json,
    error, started_at, ended_at, progress_json, note
FROM nodes WHERE run_key = (SELECT run_key FROM runs WHERE id = ?) AND key NOT LIKE '%[%'
ORDER BY ord

-- name: run_steps_outside
SELECT node_key, idx, name, state, exit_code, error, started_at, ended_at, process
FROM steps WHERE run_id = ? AND node_key NOT LIKE '%[%' ORDER BY node_key, idx

-- name: run_node_groups
-- The records inside splits and loops counted per node and state (groups.from_rows).
SELECT node_id, type, state, COUNT(*), MIN(started_at), MAX(ended_at),
    SUM(CASE WHEN ended_at IS NULL THEN 1 ELSE 0 END),
    SUM(CASE WHEN error IS NOT NULL THEN 1 ELSE 0 END)
FROM nodes WHERE run_key = (SELECT run_key FROM runs WHERE id = ?) AND key LIKE '%[%'
GROUP BY node_id, type, state ORDER BY MIN(ord)

-- name: count_node_records
SELECT COUNT(*) FROM nodes
WHERE run_key = (SELECT run_key FROM runs WHERE id = ?) AND node_id = ?

-- name: node_records_page
SELECT key, node_id, type, scope_json, state, attempt, input_json, output_json, ports_json,
    error, started_at, ended_at, progress_json, note
FROM nodes WHERE run_key = (SELECT run_key FROM runs WHERE id = ?) AND node_id = ?
ORDER BY ord LIMIT ? OFFSET ?

-- name: node_records_page_steps
SELECT node_key, idx, name, state, exit_code, error, started_at, ended_at, process
FROM steps WHERE run_id = ? AND node_key IN (
    SELECT key FROM nodes WHERE run_key = (SELECT run_key FROM runs WHERE id = ?)
        AND node_id = ? ORDER BY ord LIMIT ? OFFSET ?
) ORDER BY node_key, idx

-- name: list_runs
-- Followed by a `runs_where_*` term for each filter given, then `runs_newest_first`:
-- only the terms given, so that the planner picks the index of each (an `? IS NULL OR`
-- term for every filter would scan the runs by id, checking each).
SELECT id, workflow, pipeline, state, created_at, started_at, ended_at, error, owner,
    lease_until, trigger_name
FROM runs WHERE 1 = 1

-- name: runs_where_workflow
AND workflow = ?

-- name: runs_where_pipeline
AND pipeline = ?

-- name: runs_where_state
AND state = ?

-- name: runs_where_trigger
AND trigger_name = ?

-- name: runs_where_by_hand
AND trigger_name IS NULL

-- name: runs_where_before
AND id < ?

-- name: runs_where_prefix
-- `id LIKE 'p%'` uses no index on PostgreSQL (a non-C collation): a range does.
AND id >= ? AND id < ?

-- name: runs_where_created_after
AND created_at >= ?

-- name: runs_where_created_before
AND created_at < ?

-- name: runs_newest_first
ORDER BY id DESC LIMIT ?

-- name: run_summary
SELECT id, workflow, pipeline, state, created_at, started_at, ended_at, error, owner,
    lease_until, trigger_name
FROM runs WHERE id = ?

-- name: unfinished_runs
SELECT id, workflow, pipeline, state, created_at, started_at, ended_at, error, owner,
    lease_until, trigger_name
FROM runs WHERE state NOT IN {final} ORDER BY id

-- name: run_owner
SELECT owner FROM runs WHERE id = ?

-- name: claim_run
-- Compare-and-set: the lease has expired, or it is ours, or its owner (seen dead) is
-- still the owner. Every claim starts a new epoch: the previous owner's commits fail.
UPDATE runs SET owner = ?, lease_until = ?, epoch = epoch + 1, commit_seq = 0
WHERE id = ? AND state NOT IN {final} AND (lease_until < ? OR owner = ? OR owner = ?)

-- name: renew_leases
-- The leases of the runs an owner holds, each still at the epoch it holds (a JSON object
-- of run id -> epoch) and unfinished; returns the ids renewed. SQLite before 3.35 (no
-- RETURNING): `held_runs`, then `renew_lease` for each.
UPDATE runs SET lease_until = ?
FROM json_each(?) AS held
WHERE runs.id = held.key AND runs.epoch = held.value AND runs.owner = ?
    AND runs.state NOT IN {final}
RETURNING runs.id

-- name: held_runs
SELECT runs.id FROM runs, json_each(?) AS held
WHERE runs.id = held.key AND runs.epoch = held.value AND runs.owner = ?
    AND runs.state NOT IN {final}

-- name: renew_lease
UPDATE runs SET lease_until = ? WHERE id = ?

-- name: read_logs
SELECT runs.id, logs.node, logs.step, logs.at, logs.text, logs.seq
FROM logs JOIN runs ON runs.run_key = logs.run_key
WHERE runs.id = ? AND logs.seq > ?
    AND (CAST(? AS TEXT) IS NULL OR logs.node = ?)
    AND (CAST(? AS TEXT) IS NULL OR logs.step = ?)
ORDER BY logs.seq LIMIT ?

-- name: delete_runs
-- Nodes, steps, logs and suspensions go with their run (ON DELETE CASCADE).
DELETE FROM runs WHERE state IN {final} AND ended_at < ?

-- name: pending_approvals
SELECT hook_id, run_id, node, metadata_json, created_at, timeout_at, timeout_action,
    decision, data_json, reason, decided_at
FROM suspensions WHERE decision IS NULL ORDER BY created_at, hook_id

-- name: all_approvals
SELECT hook_id, run_id, node, metadata_json, created_at, timeout_at, timeout_action,
    decision, data_json, reason, decided_at
FROM suspensions ORDER BY created_at, hook_id

-- name: get_approval
SELECT hook_id, run_id, node, metadata_json, created_at, timeout_at, timeout_action,
    decision, data_json, reason, decided_at
FROM suspensions WHERE hook_id = ?

-- name: decide
UPDATE suspensions SET decision = ?, data_json = ?, reason = ?, decided_at = ?
WHERE hook_id = ? AND decision IS NULL

-- name: record_fire
INSERT INTO fires (trigger_id, fire_key, at) VALUES (?, ?, ?)
ON CONFLICT (trigger_id, fire_key) DO NOTHING


-- name: last_fire
SELECT MAX(at) FROM fires WHERE trigger_id = ?

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

-- Server (sql_server.py): applied workflows, pipeline modes, queued runs, cancel requests.

-- name: apply_workflow
-- Insert version 1, or the next version when the text differs; nothing (rowcount 0)
-- when the text is the one applied.
INSERT INTO workflows (name, text, format, filename, version, applied_at)
VALUES (?, ?, ?, ?, 1, ?)
ON CONFLICT (name) DO UPDATE SET
    text = excluded.text, format = excluded.format, filename = excluded.filename,
    version = workflows.version + 1, applied_at = excluded.applied_at
WHERE workflows.text <> excluded.text

-- name: get_workflow
SELECT name, text, format, filename, version, applied_at FROM workflows WHERE name = ?

-- name: workflow_and_modes
-- The workflow, once per pipeline whose mode is set (a NULL pipeline: none is).
SELECT w.name, w.text, w.format, w.filename, w.version, w.applied_at, m.pipeline, m.mode
FROM workflows w LEFT JOIN pipeline_modes m ON m.workflow = w.name
WHERE w.name = ? ORDER BY m.pipeline

-- name: list_workflows
SELECT name, text, format, filename, version, applied_at FROM workflows ORDER BY name

-- name: delete_workflow
DELETE FROM workflows WHERE name = ?

-- name: delete_pipeline_modes
DELETE FROM pipeline_modes WHERE workflow = ?

-- name: set_pipeline_mode
INSERT INTO pipeline_modes (workflow, pipeline, mode) VALUES (?, ?, ?)
ON CONFLICT (workflow, pipeline) DO UPDATE SET mode = excluded.mode

-- name: pipeline_modes
SELECT pipeline, mode FROM pipeline_modes WHERE workflow = ? ORDER BY pipeline

-- name: breaker_states
SELECT pipeline, breaker_reason, tripped_at, armed_at FROM pipeline_modes
WHERE workflow = ? ORDER BY pipeline

-- name: trip_breaker
-- Only an active pipeline trips: one paused, draining or stopped by hand stays so, and
-- of several servers seeing runs of one pipeline end, one records the trip.
INSERT INTO pipeline_modes (workflow, pipeline, mode, breaker_reason, tripped_at)
VALUES (?, ?, 'paused', ?, ?)
ON CONFLICT (workflow, pipeline) DO UPDATE SET
    mode = 'paused', breaker_reason = excluded.breaker_reason, tripped_at = excluded.tripped_at
WHERE pipeline_modes.mode = 'active'

-- name: resume_pipeline
INSERT INTO pipeline_modes (workflow, pipeline, mode, breaker_reason, tripped_at, armed_at)
VALUES (?, ?, 'active', '', NULL, ?)
ON CONFLICT (workflow, pipeline) DO UPDATE SET
    mode = 'active', breaker_reason = '', tripped_at = NULL, armed_at = excluded.armed_at

-- name: recent_outcomes
SELECT state FROM runs
WHERE workflow = ? AND pipeline = ? AND created_at >= ?
    AND state IN {final} AND state <> 'Cancelled'
ORDER BY id DESC LIMIT ?

-- name: claimable_runs
-- Unfinished, not waiting for a person, lease expired (queued runs have lease 0);
-- oldest first. SQLite: runs under BEGIN IMMEDIATE, then `claim_run_by_id`.
SELECT id FROM runs
WHERE state NOT IN {final} AND state <> 'Suspended' AND lease_until < ?
    AND NOT EXISTS (  -- a label the run needs that the claimer lacks
        SELECT 1 FROM run_labels l, json_each(l.labels) needed
        WHERE l.run_id = runs.id AND needed.value NOT IN (SELECT value FROM json_each(?))
    )
ORDER BY id LIMIT ?

-- name: insert_run_labels
INSERT INTO run_labels (run_id, labels) VALUES (?, ?)

-- name: claim_run_by_id
UPDATE runs SET owner = ?, lease_until = ?, epoch = epoch + 1, commit_seq = 0 WHERE id = ?

-- name: claim_runs
-- `claimable_runs` and `claim_run_by_id` in one statement, used on PostgreSQL, which
-- overrides it to skip the rows another claimer holds (SQLite before 3.35 has no
-- UPDATE ... RETURNING).
UPDATE runs SET owner = ?, lease_until = ?, epoch = epoch + 1, commit_seq = 0
WHERE id IN (
    SELECT id FROM runs
    WHERE state NOT IN {final} AND state <> 'Suspended' AND lease_until < ?
        AND NOT EXISTS (  -- a label the run needs that the claimer lacks
            SELECT 1 FROM run_labels l, json_each(l.labels) needed
            WHERE l.run_id = runs.id AND needed.value NOT IN (SELECT value FROM json_each(?))
        )
    ORDER BY id LIMIT ?
)
RETURNING id

-- name: claim_stored_runs
-- `claim_runs`, returning what `get_run` reads of each run taken, and whether it has
-- records to read besides (nodes or retries); used on PostgreSQL, which overrides it
-- as it does `claim_runs`.
UPDATE runs SET owner = ?, lease_until = ?, epoch = epoch + 1, commit_seq = 0
WHERE id IN (
    SELECT id FROM runs
    WHERE state NOT IN {final} AND state <> 'Suspended' AND lease_until < ?
        AND NOT EXISTS (  -- a label the run needs that the claimer lacks
            SELECT 1 FROM run_labels l, json_each(l.labels) needed
            WHERE l.run_id = runs.id AND needed.value NOT IN (SELECT value FROM json_each(?))
        )
    ORDER BY id LIMIT ?
)
RETURNING id, workflow, pipeline, state, input_json, error, started_at, ended_at,
    source_path, source_text, source_format, owner, lease_until, idempotency_key, epoch,
    node_ords > 0 OR EXISTS (SELECT 1 FROM retries r WHERE r.run_id = runs.id)

-- name: requeue_run
-- A new epoch: the execution that suspended the run writes nothing after the decision.
UPDATE runs SET state = 'WaitingForExecutor', owner = '', lease_until = 0,
    epoch = epoch + 1, commit_seq = 0
WHERE id = ? AND state = 'Suspended'

-- name: cancel_queued_run
-- A queued run nobody has claimed: nobody else will cancel it.
UPDATE runs SET state = 'Cancelled', ended_at = ?
WHERE id = ? AND state = 'WaitingForExecutor' AND owner = ''

-- name: request_cancel
UPDATE runs SET cancel_requested = TRUE WHERE id = ? AND state NOT IN {final}

-- name: cancel_requested
SELECT cancel_requested FROM runs WHERE id = ?

-- name: cancels_requested
-- Of the runs named (a JSON array of ids), those whose cancel was asked.
SELECT runs.id FROM runs, json_each(?) AS asked
WHERE runs.id = asked.value AND runs.cancel_requested

-- name: count_runs
SELECT state, COUNT(*) FROM runs GROUP BY state

-- Secrets (sql_secrets.py): ciphertext only; xene.secrets encrypts and decrypts.

-- name: set_secret
INSERT INTO secrets (name, ciphertext, key_id, set_by, set_at) VALUES (?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
    ciphertext = excluded.ciphertext, key_id = excluded.key_id, set_by = excluded.set_by,
    set_at = excluded.set_at

-- name: secret_exists
SELECT 1 FROM secrets WHERE name = ?

-- name: list_secrets
SELECT name, key_id, set_by, set_at FROM secrets ORDER BY name

-- name: get_secret
SELECT name, ciphertext, key_id, set_by, set_at FROM secrets WHERE name = ?

-- name: all_secrets
SELECT name, ciphertext, key_id, set_by, set_at FROM secrets ORDER BY name

-- name: delete_secret
DELETE FROM secrets WHERE name = ?

-- name: rekey_secret
-- Compare-and-set: only while the secret still holds the ciphertext that was re-encrypted.
UPDATE secrets SET ciphertext = ?, key_id = ? WHERE name = ? AND ciphertext = ?

-- name: insert_token
INSERT INTO tokens (id, name, role, created_at, expires_at, created_by, revoked_at)
VALUES (?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING

-- name: get_token
SELECT id, name, role, created_at, expires_at, created_by, revoked_at
FROM tokens WHERE id = ?

-- name: list_tokens
SELECT id, name, role, created_at, expires_at, created_by, revoked_at
FROM tokens ORDER BY created_at, id

-- name: revoke_token
-- The first revocation stands: revoking again changes nothing.
UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL

-- Retries (sql_retries.py).

-- name: queue_retried_run
-- The compare-and-set every retry starts with: only a run that ended Error or Cancelled.
-- A new epoch, as a claim's: the retrying process (its owner) may execute it at once.
UPDATE runs SET state = 'WaitingForExecutor', owner = ?, lease_until = ?, error = NULL,
    ended_at = NULL, cancel_requested = FALSE, epoch = epoch + 1, commit_seq = 0
WHERE id = ? AND state IN ('Error', 'Cancelled')

-- name: retried_nodes
SELECT key, node_id, type, scope_json, state, attempt, input_json, output_json, ports_json,
    error, started_at, ended_at, progress_json, note
FROM nodes WHERE run_key = (SELECT run_key FROM runs WHERE id = ?) ORDER BY ord

-- name: reset_retried_node
-- Run again: not executed, its attempt kept (attempt numbers go on counting).
UPDATE nodes SET state = 'NotExecuted', input_json = 'null', output_json = 'null',
    ports_json = '[]', error = NULL, started_at = NULL, ended_at = NULL,
    progress_json = 'null', note = NULL
WHERE run_key = (SELECT run_key FROM runs WHERE id = ?) AND key = ?

-- name: reset_retried_steps
UPDATE steps SET state = 'NotExecuted', exit_code = NULL, error = NULL, started_at = NULL,
    ended_at = NULL, process = NULL
WHERE run_id = ? AND node_key = ?

-- name: retry_counters
-- The run's last retry number and last log chunk.
SELECT
    (SELECT COALESCE(MAX(number), 0) FROM retries WHERE run_id = ?),
    (SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_key = (SELECT run_key FROM runs WHERE id = ?))

-- name: insert_retry
INSERT INTO retries (run_id, number, retried_by, at, from_node, log_seq, nodes_json)
VALUES (?, ?, ?, ?, ?, ?, ?)

-- name: run_retries
SELECT number, retried_by, at, from_node, log_seq, nodes_json FROM retries
WHERE run_id = ? ORDER BY number

-- Ids by a prefix, ignoring case (sql_runs.find_ids): the pattern is lowercase, with
-- `\`, `%` and `_` escaped.

-- name: run_ids_like
SELECT id FROM runs WHERE LOWER(id) LIKE ? ESCAPE '\' ORDER BY id LIMIT ?

-- name: hook_ids_like
SELECT hook_id FROM suspensions WHERE LOWER(hook_id) LIKE ? ESCAPE '\' ORDER BY hook_id LIMIT ?

-- name: instance_ids_like
SELECT id FROM instances WHERE LOWER(id) LIKE ? ESCAPE '\' ORDER BY id LIMIT ?

-- Back-pressure (sql_pressure.py, migration 0009).

-- name: count_queued
-- On the index runs_by_state (state, id): no scan of the runs table.
SELECT COUNT(*) FROM runs WHERE state = 'WaitingForExecutor'

-- name: record_skipped_fire
INSERT INTO skipped_fires (workflow, trigger_name, at, reason, skipped) VALUES (?, ?, ?, ?, 1)
ON CONFLICT (workflow, trigger_name) DO UPDATE SET
    at = excluded.at, reason = excluded.reason, skipped = skipped_fires.skipped + 1

-- name: skipped_fires
SELECT trigger_name, at, reason, skipped FROM skipped_fires WHERE workflow = ?
ORDER BY trigger_name

-- Agents (sql_agents.py, migration 0012).

-- name: register_agent
INSERT INTO agents (name, labels, capacity, version, host, registered_at, heartbeat_at,
    running, draining) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (name) DO UPDATE SET
    labels = excluded.labels, capacity = excluded.capacity, version = excluded.version,
    host = excluded.host, registered_at = excluded.registered_at,
    heartbeat_at = excluded.heartbeat_at, running = excluded.running,
    draining = excluded.draining

-- name: heartbeat_agent
-- A drain asked of the agent stays: only the agent's own drain is added.
UPDATE agents SET heartbeat_at = ?, running = ?,
    draining = CASE WHEN ? = 1 THEN 1 ELSE draining END WHERE name = ?

-- name: get_agent
SELECT name, labels, capacity, version, host, registered_at, heartbeat_at, running, draining
FROM agents WHERE name = ?

-- name: list_agents
SELECT name, labels, capacity, version, host, registered_at, heartbeat_at, running, draining
FROM agents ORDER BY name

-- name: drain_agent
UPDATE agents SET draining = 1 WHERE name = ?

-- name: forget_agent
DELETE FROM agents WHERE name = ?
