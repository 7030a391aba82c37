"""Run transactions shared by the SQL stores: create, commit, read back, claim, logs, gc."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from xene.core.records import NodeRecord
from xene.store import groups, rows, sql_retries
from xene.store.base import (
    BY_HAND,
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
from xene.store.fencing import applies, created_epoch
from xene.store.groups import NodeGroup
from xene.store.sql_approvals import approval_params
from xene.store.txn import Result, Row, Stmt, Txn

Queries = Mapping[str, str]


def create_run(q: Queries, run: NewRun) -> Txn[tuple[str, bool]]:
    src = run.source
    inserted = yield Stmt(
        q["insert_run"],
        (run.id, run.workflow, run.pipeline, run.state, rows.dumps(run.input),
         run.created_at, run.idempotency_key, src.path, src.text, src.format, run.owner,
         run.lease_until, created_epoch(run), run.trigger),
    )  # fmt: skip
    if inserted.rowcount == 1:
        if run.labels:
            yield Stmt(q["insert_run_labels"], (run.id, json.dumps(list(run.labels))))
        return run.id, True
    existing = yield Stmt(q["run_by_key"], (run.workflow, run.pipeline, run.idempotency_key))
    return str(existing.scalar), False


def commit(q: Queries, run_id: str, batch: Batch, *, returning: bool = False) -> Txn[None]:
    """Raises KeyError for an unknown run and Fenced for a batch of an epoch not the
    run's (and changes nothing); skips a batch whose number was applied already.
    `returning` (PostgreSQL): the run row's part in one UPDATE ... RETURNING, not five
    statements."""
    if returning:
        found = yield from _run_row_returning(q, run_id, batch)
    else:
        found = yield from _run_row(q, run_id, batch)
    if found is None:  # a duplicate
        return
    last_ord, last_seq = found
    yield from _write_records(q, run_id, last_ord, batch)
    yield from _write_the_rest(q, run_id, last_seq, batch)
    if returning:
        return
    if batch.lease_until is not None:
        yield Stmt(q["update_lease"], (batch.lease_until, run_id))
    if batch.nodes or batch.logs:
        counters = (last_ord + len(batch.nodes), last_seq + len(batch.logs), run_id)
        yield Stmt(q["update_counters"], counters)
    if batch.seq is not None:
        yield Stmt(q["update_commit_seq"], (batch.seq, run_id))


def fence_check(q: Queries, run_id: str, batch: Batch) -> Txn[None]:
    """After a commit's run row update matched no row: raise KeyError (no such run) or
    Fenced; return for a duplicate (nothing to write)."""
    found = yield Stmt(q["run_fence"], (run_id,))
    # A row that the batch applies to now was not there when the update ran.
    if not found.rows or applies(run_id, batch, *(int(v) for v in found.rows[0])):
        raise KeyError(f"no run {run_id!r} in the store")


def _run_row(q: Queries, run_id: str, batch: Batch) -> Txn[tuple[int, int] | None]:
    """Lock the run row first (concurrent commits of a run go in turn), check the
    batch's epoch and number, read where its node order and log sequence stand, update
    it. None: a duplicate."""
    locked = yield Stmt(q["lock_run"], (run_id,))
    if not locked.rows:
        raise KeyError(f"no run {run_id!r} in the store")
    epoch, commit_seq = locked.rows[0]
    if not applies(run_id, batch, int(epoch), int(commit_seq)):
        return None
    last_ord, last_seq = 0, 0
    if batch.nodes or batch.logs:
        (last_ord, last_seq), *_ = (yield Stmt(q["run_counters"], (run_id,))).rows
    if batch.run is not None:
        r = batch.run
        yield Stmt(q["update_run"], (r.state, r.error, r.started_at, r.ended_at, run_id))
    return last_ord, last_seq


def _run_row_returning(q: Queries, run_id: str, batch: Batch) -> Txn[tuple[int, int] | None]:
    """`_run_row`, the lease and the counters in one statement (`commit_run`)."""
    moved = (len(batch.nodes), len(batch.logs))
    found = yield run_update(q, run_id, batch)
    if not found.rows:
        yield from fence_check(q, run_id, batch)
        return None
    node_ords, log_seqs, *_ = found.rows[0]  # and the run_key
    return int(node_ords) - moved[0], int(log_seqs) - moved[1]


def run_update(q: Queries, run_id: str, batch: Batch) -> Stmt:
    """The run row's part of a commit in one UPDATE ... RETURNING its counters, if the
    batch is of the run's epoch and not applied already (else no row)."""
    moved = (len(batch.nodes), len(batch.logs))
    fence = (run_id, batch.epoch, batch.epoch, batch.seq, batch.seq)
    if batch.run is not None:
        r = batch.run
        changed = (r.state, r.error, r.started_at, r.ended_at, batch.lease_until)
        return Stmt(q["commit_run"], (*changed, *moved, batch.seq, *fence))
    return Stmt(q["commit_counters"], (batch.lease_until, *moved, batch.seq, *fence))


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
        n.progress_json, n.note,
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


def get_run_grouped(q: Queries, run_id: str) -> Txn[tuple[StoredRun, list[NodeGroup]] | None]:
    """The run with the records outside splits and loops, and those inside counted."""
    found = yield Stmt(q["get_run"], (run_id,))
    if not found.rows:
        return None
    nodes = yield Stmt(q["run_nodes_outside"], (run_id,))
    steps = (yield Stmt(q["run_steps_outside"], (run_id,))) if nodes.rows else Result()
    counted = yield Stmt(q["run_node_groups"], (run_id,))
    retried = yield from sql_retries.run_retries(q, run_id)
    return stored_run(found.rows[0], nodes, steps, retried), groups.from_rows(counted.rows)


def node_records(
    q: Queries, run_id: str, node: str, offset: int, limit: int
) -> Txn[tuple[int, list[NodeRecord]]]:
    counted = yield Stmt(q["count_node_records"], (run_id, node))
    page = yield Stmt(q["node_records_page"], (run_id, node, limit, offset))
    steps = yield Stmt(q["node_records_page_steps"], (run_id, run_id, node, limit, offset))
    records = {}
    for row in page.rows:
        record = rows.node_record(rows.db_node(row))
        records[record.key] = record
    for step_row in steps.rows:
        step = rows.db_step(step_row)
        if step.node_key in records:
            records[step.node_key].steps.append(rows.step_record(step))
    return int(counted.scalar), list(records.values())


def stored_run(run: Row, nodes: Result, steps: Result, retried: tuple[RunRetry, ...]) -> StoredRun:
    record = rows.db_run(run)
    path, text, fmt, owner, lease_until, key, epoch = run[8:]
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
    return StoredRun(record, source, owner, lease_until, key, retried, int(epoch))


def list_runs(q: Queries, flt: RunFilter) -> Txn[list[RunSummary]]:
    sql, params = [q["list_runs"]], list[Any]()
    for term, values in _run_terms(flt):
        sql.append(q[f"runs_where_{term}"])
        params += values
    sql.append(q["runs_newest_first"])
    found = yield Stmt("\n".join(sql), (*params, flt.limit))
    return [rows.db_summary(row) for row in found.rows]


def _run_terms(flt: RunFilter) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """The `runs_where_*` terms of the filters given, with their parameters."""
    given = {"workflow": flt.workflow, "pipeline": flt.pipeline, "state": flt.state}
    for name, value in given.items():
        if value is not None:
            yield name, (value,)
    if flt.trigger == BY_HAND:
        yield "by_hand", ()
    elif flt.trigger is not None:
        yield "trigger", (flt.trigger,)
    if flt.before is not None:
        yield "before", (flt.before,)
    if flt.id_prefix:
        prefix = flt.id_prefix.lower()
        yield "prefix", (prefix, prefix + "~")  # "~" sorts above every id character
    if flt.created_after is not None:
        yield "created_after", (flt.created_after,)
    if flt.created_before is not None:
        yield "created_before", (flt.created_before,)


def run_summary(q: Queries, run_id: str) -> Txn[RunSummary | None]:
    found = yield Stmt(q["run_summary"], (run_id,))
    return rows.db_summary(found.rows[0]) if found.rows else None


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


def renew_leases(
    q: Queries, owner: str, held: Mapping[str, int], lease_until: float, *, returning: bool
) -> Txn[set[str]]:
    """The leases of `held` (run id -> epoch) whose run `owner` still holds at that epoch,
    unfinished, renewed; their ids. `returning`: one statement (else SQLite before 3.35:
    a select, then an update of what it found, in one transaction)."""
    if not held:
        return set()
    wanted = json.dumps({run_id: int(epoch) for run_id, epoch in held.items()})
    if returning:
        renewed = yield Stmt(q["renew_leases"], (lease_until, wanted, owner))
        return {str(row[0]) for row in renewed.rows}
    found = yield Stmt(q["held_runs"], (wanted, owner))
    ids = {str(row[0]) for row in found.rows}
    if ids:
        yield Stmt(q["renew_lease"], [(lease_until, i) for i in sorted(ids)], many=True)
    return ids


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
