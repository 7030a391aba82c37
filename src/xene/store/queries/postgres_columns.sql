-- PostgreSQL only: the columnar form of a statement of common.sql that is given many rows
-- (a block named as that statement). It runs once with one array per column (unnest),
-- sent in binary (each `?` becomes `%b`), instead of once per row: for a commit of 500
-- nodes, about half the time and a fifth of this process's CPU. Each keeps its row form's
-- columns and conflict clause (tests/store/test_postgres_columns.py compares them); a
-- column cast to float8 is sent as floats (a list mixing ints and floats has no binary form).
-- Node and log rows carry their run's run_key (migration 0011): their run's id, the same
-- in every row, is sent once (`?::text`, not an array) and looked up once per statement,
-- where the row form looks it up for each row.

-- name: upsert_node
INSERT INTO nodes (
    run_key, key, ord, node_id, type, scope_json, state, attempt, input_json, output_json,
    ports_json, error, started_at, ended_at, progress_json, note
) SELECT k.run_key, u.* FROM (SELECT run_key FROM runs WHERE id = ?::text) AS k, unnest(
    ?::text[], ?::int8[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int8[],
    ?::text[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::float8[], ?::text[],
    ?::text[]
) AS u
ON CONFLICT (run_key, key) DO UPDATE SET
    node_id = excluded.node_id, type = excluded.type, scope_json = excluded.scope_json,
    state = excluded.state, attempt = excluded.attempt, input_json = excluded.input_json,
    output_json = excluded.output_json, ports_json = excluded.ports_json,
    error = excluded.error, started_at = excluded.started_at, ended_at = excluded.ended_at,
    progress_json = excluded.progress_json, note = excluded.note

-- name: insert_node
INSERT INTO nodes (
    run_key, key, ord, node_id, type, scope_json, state, attempt, input_json, output_json,
    ports_json, error, started_at, ended_at, progress_json, note
) SELECT k.run_key, u.* FROM (SELECT run_key FROM runs WHERE id = ?::text) AS k, unnest(
    ?::text[], ?::int8[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int8[],
    ?::text[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::float8[], ?::text[],
    ?::text[]
) AS u

-- name: upsert_step
INSERT INTO steps (
    run_id, node_key, idx, name, state, exit_code, error, started_at, ended_at, process
) SELECT * FROM unnest(
    ?::text[], ?::text[], ?::int8[], ?::text[], ?::text[], ?::int8[], ?::text[],
    ?::float8[], ?::float8[], ?::text[]
)
ON CONFLICT (run_id, node_key, idx) DO UPDATE SET
    name = excluded.name, state = excluded.state, exit_code = excluded.exit_code,
    error = excluded.error, started_at = excluded.started_at, ended_at = excluded.ended_at,
    process = excluded.process

-- name: insert_log
INSERT INTO logs (run_key, seq, node, step, at, text)
SELECT k.run_key, u.* FROM (SELECT run_key FROM runs WHERE id = ?::text) AS k,
    unnest(?::int8[], ?::text[], ?::text[], ?::float8[], ?::text[]) AS u
