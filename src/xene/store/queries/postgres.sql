-- PostgreSQL overrides of common.sql.

-- name: create_schema_version
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER PRIMARY KEY,
    applied_at DOUBLE PRECISION NOT NULL
)

-- name: lock_migrations
-- Two servers starting at once: one migrates, the other waits and finds nothing to do.
SELECT pg_advisory_xact_lock(7100114)

-- name: lock_run
-- As in common.sql, and the run row locked: concurrent commits of one run take their
-- node order and log sequence numbers in turn.
SELECT
    (SELECT COALESCE(MAX(ord), 0) FROM nodes WHERE run_id = ?),
    (SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = ?)
FROM runs WHERE id = ? FOR UPDATE OF runs
