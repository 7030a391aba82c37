-- PostgreSQL overrides of common.sql.

-- name: create_schema_version
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at DOUBLE PRECISION NOT NULL
)

-- name: lock_migrations
-- Two servers starting at once: one migrates, the other waits and finds nothing to do.
SELECT pg_advisory_xact_lock(7100114)

-- name: claim_stored_runs
-- `claim_runs`, returning what `get_run` reads of each run taken, with whether it has
-- records yet (a queued run has neither nodes nor retries: nothing more to read).
UPDATE runs SET owner = ?, lease_until = ?, epoch = epoch + 1, commit_seq = 0
WHERE id IN (
    SELECT id FROM runs
    WHERE state NOT IN {final} AND state <> 'Suspended' AND lease_until < ?
        AND NOT EXISTS (  -- a label the run needs that the claimer lacks
            SELECT 1 FROM run_labels l, json_array_elements_text(l.labels::json) needed (value)
            WHERE l.run_id = runs.id
                AND needed.value NOT IN (SELECT json_array_elements_text(?::json))
        )
    ORDER BY id LIMIT ?
    FOR UPDATE SKIP LOCKED
)
RETURNING id, workflow, pipeline, state, input_json, error, started_at, ended_at,
    source_path, source_text, source_format, owner, lease_until, idempotency_key, epoch,
    node_ords > 0 OR EXISTS (SELECT 1 FROM retries r WHERE r.run_id = runs.id)

-- name: lock_run
-- Concurrent commits of one run take their node order and log sequence numbers in turn.
-- (`run_counters` must be a statement of its own, after this one: in READ COMMITTED a
-- statement that waited for the lock still reads with the snapshot it started with.)
SELECT epoch, commit_seq FROM runs WHERE id = ? FOR UPDATE

-- name: claim_runs
-- Concurrent claimers each lock the rows they take and skip those another one holds:
-- no run is taken twice, and nobody waits.
UPDATE runs SET owner = ?, lease_until = ?, epoch = epoch + 1, commit_seq = 0
WHERE id IN (
    SELECT id FROM runs
    WHERE state NOT IN {final} AND state <> 'Suspended' AND lease_until < ?
        AND NOT EXISTS (  -- a label the run needs that the claimer lacks
            SELECT 1 FROM run_labels l, json_array_elements_text(l.labels::json) needed (value)
            WHERE l.run_id = runs.id
                AND needed.value NOT IN (SELECT json_array_elements_text(?::json))
        )
    ORDER BY id LIMIT ?
    FOR UPDATE SKIP LOCKED
)
RETURNING id

-- name: renew_leases
-- One statement for all the runs an owner holds (a JSON object of run id -> epoch).
UPDATE runs SET lease_until = ?
FROM json_each_text(?::json) AS held (id, epoch)
WHERE runs.id = held.id AND runs.epoch = held.epoch::bigint AND runs.owner = ?
    AND runs.state NOT IN {final}
RETURNING runs.id

-- name: cancels_requested
-- Of the runs named (a JSON array of ids), those whose cancel was asked.
SELECT runs.id FROM runs, json_array_elements_text(?::json) AS asked (id)
WHERE runs.id = asked.id AND runs.cancel_requested
