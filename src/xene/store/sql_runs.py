"""Run transactions shared by the SQL stores: create, commit, read back, claim, logs, gc."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from xene.store import rows, sql_retries
from xene.store.base import (
    Batch,
    IdKind,
    LogChunk,
    NewRun,
    NodeRow,
    RunFilter,
    RunRetry,
    RunSource,
    RunSummary,
    StepRow,
    StoredRun,
)
from xene.store.sql_approvals import approval_params
from xene.store.txn import Result, Row, Stmt, Txn

Queries = Mapping[str, str]


def create_run(q: Queries, run: NewRun) -> Txn[tuple[str, bool]]:
    src = run.source
    inserted = yield Stmt(
        q["insert_run"],
        (run.id, run.workflow, run.pipeline, run.state, rows.dumps(run.input),
         run.created_at, run.idempotency_key, src.path, src.text, src.format, run.owner,
         run.lease_until),
    )  # fmt: skip
    if inserted.rowcount == 1:
        if run.labels:
            yield Stmt(q["insert_run_labels"], (run.id, json.dumps(list(run.labels))))
        return run.id, True
    existing = yield Stmt(q["run_by_key"], (run.workflow, run.pipeline, run.idempotency_key))
    return str(existing.scalar), False


def commit(q: Queries, run_id: str, batch: Batch, *, returning: bool = False) -> Txn[None]:
    """Raises KeyError for an unknown run (and changes nothing). `returning`
    (PostgreSQL): the run row's part in one UPDATE ... RETURNING, not five statements."""
    if returning:
        last_ord, last_seq = yield from _run_row_returning(q, run_id, batch)
    else:
        last_ord, last_seq = yield from _run_row(q, run_id, batch)
    yield from _write_records(q, run_id, last_ord, batch)
    yield from _write_the_rest(q, run_id, last_seq, batch)
    if returning:
        return
    if batch.lease_until is not None:
        yield Stmt(q["update_lease"], (batch.lease_until, run_id))
    if batch.nodes or batch.logs:
        counters = (last_ord + len(batch.nodes), last_seq + len(batch.logs), run_id)
        yield Stmt(q["update_counters"], counters)


def _run_row(q: Queries, run_id: str, batch: Batch) -> Txn[tuple[int, int]]:
    """Lock the run row first (concurrent commits of a run go in turn), read where its
    node order and log sequence stand, update it."""
    if not (yield Stmt(q["lock_run"], (run_id,))).rows:
        raise KeyError(f"no run {run_id!r} in the store")
    last_ord, last_seq = 0, 0
    if batch.nodes or batch.logs:
        (last_ord, last_seq), *_ = (yield Stmt(q["run_counters"], (run_id,))).rows
    if batch.run is not None:
        r = batch.run
        yield Stmt(q["update_run"], (r.state, r.error, r.started_at, r.ended_at, run_id))
    return last_ord, last_seq


def _run_row_returning(q: Queries, run_id: str, batch: Batch) -> Txn[tuple[int, int]]:
    """`_run_row`, the lease and the counters in one statement (`commit_run`)."""
    moved = (len(batch.nodes), len(batch.logs))
    found = yield run_update(q, run_id, batch)
    if not found.rows:
        raise KeyError(f"no run {run_id!r} in the store")
    node_ords, log_seqs, *_ = found.rows[0]  # and the run_key
    return int(node_ords) - moved[0], int(log_seqs) - moved[1]


def run_update(q: Queries, run_id: str, batch: Batch) -> Stmt:
    """The run row's part of a commit in one UPDATE ... RETURNING its counters."""
    moved = (len(batch.nodes), len(batch.logs))
    if batch.run is not None:
        r = batch.run
        params = (r.state, r.error, r.started_at, r.ended_at, batch.lease_until, *moved, run_id)
        return Stmt(q["commit_run"], params)
    return Stmt(q["commit_counters"], (batch.lease_until, *moved, run_id))


def _write_records(q: Queries, run_id: str, last_ord: int, batch: Batch) -> Txn[None]:
    """The node and step rows; new nodes take the next ordinals (kept on update)."""
    if batch.nodes:
        nodes = [node_params(run_id, last_ord + i, n) for i, n in enumerate(batch.nodes, 1)]
        # A run none of whose nodes was numbered has none: its first are inserted, with
        # no conflict to look for (on PostgreSQL, a sixth of the server's work for them).
        yield Stmt(q["upsert_node" if last_ord else "insert_node"], nodes, many=True)
    if batch.progress:
        progress = [(p.progress_json, run_id, p.key) for p in batch.progress]
        yield Stmt(q["update_progress"], progress, many=True)
    if batch.steps:
        steps = [step_params(run_id, s) for s in batch.steps]
        yield Stmt(q["upsert_step"], steps, many=True)


def _write_the_rest(q: Queries, run_id: str, last_seq: int, batch: Batch) -> Txn[None]:
    """Log chunks (numbered on from `last_seq`) and approvals."""
    chunks = [chunk for chunk in batch.logs if chunk.lines]
    if chunks:
        logs = [
            (run_id, last_seq + i, c.node, c.step, c.at, "\n".join(c.lines))
            for i, c in enumerate(chunks, start=1)
        ]
        yield Stmt(q["insert_log"], logs, many=True)
    if batch.approvals:
        params = [approval_params(s) for s in batch.approvals]
        yield Stmt(q["upsert_approval"], params, many=True)


def node_params(run_id: str, ord_: int, n: NodeRow) -> tuple[Any, ...]:
    return (
        run_id, n.key, ord_, n.node_id, n.type, n.scope_json, n.state, n.attempt,
        n.input_json, n.output_json, n.ports_json, n.error, n.started_at, n.ended_at,
        n.progress_json,
    )  # fmt: skip


def step_params(run_id: str, s: StepRow) -> tuple[Any, ...]:
    return (
        run_id, s.node_key, s.index, s.name, s.state, s.exit_code, s.error, s.started_at,
        s.ended_at, s.process,
    )  # fmt: skip


def get_run(q: Queries, run_id: str) -> Txn[StoredRun | None]:
    found = yield Stmt(q["get_run"], (run_id,))
    if not found.rows:
        return None
    nodes = yield Stmt(q["run_nodes"], (run_id,))
    # Steps are kept only under their nodes: a run without nodes (queued) has none.
    steps = (yield Stmt(q["run_steps"], (run_id,))) if nodes.rows else Result()
    retried = yield from sql_retries.run_retries(q, run_id)
    return stored_run(found.rows[0], nodes, steps, retried)


def stored_run(run: Row, nodes: Result, steps: Result, retried: tuple[RunRetry, ...]) -> StoredRun:
    record = rows.db_run(run)
    path, text, fmt, owner, lease_until, key = run[8:]
    for node_row in nodes.rows:
        node = rows.node_record(rows.db_node(node_row))
        record.nodes[node.key] = node
    for step_row in steps.rows:
        step = rows.db_step(step_row)
        if step.node_key in record.nodes:
            record.nodes[step.node_key].steps.append(rows.step_record(step))
    source = RunSource(
        path=path, text=text, format=fmt, workflow=record.workflow, pipeline=record.pipeline
    )
    return StoredRun(record, source, owner, lease_until, key, retried)


def list_runs(q: Queries, flt: RunFilter) -> Txn[list[RunSummary]]:
    pairs = (flt.workflow, flt.pipeline, flt.state, flt.before)
    params = [value for value in pairs for _ in (0, 1)]
    found = yield Stmt(q["list_runs"], (*params, flt.limit))
    return [rows.db_summary(row) for row in found.rows]


def unfinished_runs(q: Queries) -> Txn[list[RunSummary]]:
    found = yield Stmt(q["unfinished_runs"])
    return [rows.db_summary(row) for row in found.rows]


def claim_run(
    q: Queries, run_id: str, owner: str, lease_until: float, now: float,
    alive: Callable[[str], bool],
) -> Txn[bool]:  # fmt: skip
    """Compare-and-set on the lease; an owner that is not `alive` has lost its lease."""
    found = yield Stmt(q["run_owner"], (run_id,))
    if not found.rows:
        return False
    current = str(found.scalar)
    dead = None if alive(current) else current
    done = yield Stmt(q["claim_run"], (owner, lease_until, run_id, now, owner, dead))
    return done.rowcount == 1


def read_logs(
    q: Queries, run_id: str, node: str | None, step: str | None, after: int, limit: int
) -> Txn[list[LogChunk]]:
    found = yield Stmt(q["read_logs"], (run_id, after, node, node, step, step, limit))
    return [_chunk(row) for row in found.rows]


def _chunk(row: Row) -> LogChunk:
    run_id, node, step, at, text, seq = row
    return LogChunk(run_id, node, step, at, tuple(text.split("\n")), seq)


def delete_runs(q: Queries, ended_before: float) -> Txn[int]:
    done = yield Stmt(q["delete_runs"], (ended_before,))
    return done.rowcount


_ID_QUERIES = {"run": "run_ids_like", "hook": "hook_ids_like", "instance": "instance_ids_like"}


def find_ids(q: Queries, kind: IdKind, prefix: str, limit: int) -> Txn[list[str]]:
    """Ids starting with `prefix`, ignoring case: `LOWER(id) LIKE 'prefix%'`, the
    prefix's own `%` and `_` escaped."""
    escaped = prefix.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    found = yield Stmt(q[_ID_QUERIES[kind]], (escaped + "%", limit))
    return [str(row[0]) for row in found.rows]


def record_fire(q: Queries, trigger_id: str, fire_key: str, at: float) -> Txn[bool]:
    done = yield Stmt(q["record_fire"], (trigger_id, fire_key, at))
    return done.rowcount == 1


def last_fire(q: Queries, trigger_id: str) -> Txn[float | None]:
    found = yield Stmt(q["last_fire"], (trigger_id,))
    value = found.rows[0][0] if found.rows else None
    return None if value is None else float(value)
