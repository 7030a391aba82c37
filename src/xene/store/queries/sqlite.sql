-- SQLite overrides of common.sql. Writes run under BEGIN IMMEDIATE, which already
-- serializes them: no row locks needed.

-- name: insert_run
-- The run's run_key is the next above the largest (writes are serialized; on the unique
-- index runs_by_key, MAX reads one entry). PostgreSQL generates it (an identity column).
INSERT INTO runs (
    id, workflow, pipeline, state, input_json, error, created_at, started_at, ended_at,
    idempotency_key, source_path, source_text, source_format, owner, lease_until, epoch,
    trigger_name, run_key
) VALUES (?, ?, ?, ?, ?, NULL, ?, NULL, NULL, ?, ?, ?, ?, ?, ?, ?, ?,
    (SELECT COALESCE(MAX(run_key), 0) + 1 FROM runs))
ON CONFLICT (workflow, pipeline, idempotency_key) DO NOTHING
