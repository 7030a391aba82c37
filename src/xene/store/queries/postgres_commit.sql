-- PostgreSQL only: a commit in one statement (store/pg_commit.py), whose parts are
-- WITH items after `r`, the run row's update (commit_run or commit_counters), which
-- returns the run's node_ords and log_seqs after this commit. One statement is atomic
-- on its own: no BEGIN and COMMIT, and no round trip per part (five before, one now).
-- Every part reads `r`: a run that is not there has no row in it, so nothing is written.
-- Each `?` is a parameter sent in binary; arrays come in the order of the columns of
-- the columnar forms (postgres_columns.sql), one element per row, but for the run's id:
-- node and log rows carry the run's run_key (migration 0011), which `r` returns, so it
-- is looked up once, by the run row's update, whatever the number of rows.

-- name: nodes
-- `?` 1 and 2: how many nodes the commit numbers; 3-17: the node columns but the run's,
-- each node's `ord` counted from 1 within the commit. A run that had no nodes gets its
-- first inserted (insert_node), another has them upserted (upsert_node): one of the two
-- writes nothing.
u AS (
    SELECT r.run_key, u.key, r.node_ords - ? + u.ord AS ord, u.node_id, u.type,
        u.scope_json, u.state, u.attempt, u.input_json, u.output_json, u.ports_json,
        u.error, u.started_at, u.ended_at, u.progress_json, u.note, r.node_ords = ? AS first
    FROM r, unnest(
        ?::text[], ?::int8[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int8[],
        ?::text[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::float8[], ?::text[],
        ?::text[]
    ) AS u (
        key, ord, node_id, type, scope_json, state, attempt, input_json, output_json,
        ports_json, error, started_at, ended_at, progress_json, note
    )
),
first_nodes AS (
    INSERT INTO nodes (
        run_key, key, ord, node_id, type, scope_json, state, attempt, input_json,
        output_json, ports_json, error, started_at, ended_at, progress_json, note
    )
    SELECT run_key, key, ord, node_id, type, scope_json, state, attempt, input_json,
        output_json, ports_json, error, started_at, ended_at, progress_json, note
    FROM u WHERE first
),
more_nodes AS (
    INSERT INTO nodes (
        run_key, key, ord, node_id, type, scope_json, state, attempt, input_json,
        output_json, ports_json, error, started_at, ended_at, progress_json, note
    )
    SELECT run_key, key, ord, node_id, type, scope_json, state, attempt, input_json,
        output_json, ports_json, error, started_at, ended_at, progress_json, note
    FROM u WHERE NOT first
    ON CONFLICT (run_key, key) DO UPDATE SET
        node_id = excluded.node_id, type = excluded.type, scope_json = excluded.scope_json,
        state = excluded.state, attempt = excluded.attempt, input_json = excluded.input_json,
        output_json = excluded.output_json, ports_json = excluded.ports_json,
        error = excluded.error, started_at = excluded.started_at, ended_at = excluded.ended_at,
        progress_json = excluded.progress_json, note = excluded.note
)

-- name: new_nodes
-- `nodes` for a run that had none when this store created it (a guess: see
-- pg_batch.Committer): inserted, with no conflict to look for. `?` 1: how many nodes the
-- commit numbers; 2-16: the node columns but the run's, each node's `ord` counted from 1.
-- A node another process committed meanwhile fails the statement, which then writes
-- nothing.
new_nodes AS (
    INSERT INTO nodes (
        run_key, key, ord, node_id, type, scope_json, state, attempt, input_json,
        output_json, ports_json, error, started_at, ended_at, progress_json, note
    )
    SELECT r.run_key, u.key, r.node_ords - ? + u.ord, u.node_id, u.type, u.scope_json,
        u.state, u.attempt, u.input_json, u.output_json, u.ports_json, u.error,
        u.started_at, u.ended_at, u.progress_json, u.note
    FROM r, unnest(
        ?::text[], ?::int8[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int8[],
        ?::text[], ?::text[], ?::text[], ?::text[], ?::float8[], ?::float8[], ?::text[],
        ?::text[]
    ) AS u (
        key, ord, node_id, type, scope_json, state, attempt, input_json, output_json,
        ports_json, error, started_at, ended_at, progress_json, note
    )
)

-- name: steps
-- `?` 1-10: the step columns (upsert_step).
steps_done AS (
    INSERT INTO steps (
        run_id, node_key, idx, name, state, exit_code, error, started_at, ended_at, process
    )
    SELECT u.* FROM r, unnest(
        ?::text[], ?::text[], ?::int8[], ?::text[], ?::text[], ?::int8[], ?::text[],
        ?::float8[], ?::float8[], ?::text[]
    ) AS u
    ON CONFLICT (run_id, node_key, idx) DO UPDATE SET
        name = excluded.name, state = excluded.state, exit_code = excluded.exit_code,
        error = excluded.error, started_at = excluded.started_at, ended_at = excluded.ended_at,
        process = excluded.process
)

-- name: logs
-- `?` 1: how many chunks the commit numbers (empty ones too, which are not kept); 2-6:
-- the log columns but the run's, each chunk's `seq` counted from 1 within the commit
-- (insert_log).
logs_done AS (
    INSERT INTO logs (run_key, seq, node, step, at, text)
    SELECT r.run_key, r.log_seqs - ? + u.seq, u.node, u.step, u.at, u.text
    FROM r, unnest(?::int8[], ?::text[], ?::text[], ?::float8[], ?::text[])
        AS u (seq, node, step, at, text)
)
