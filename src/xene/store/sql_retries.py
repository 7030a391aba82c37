"""Retry transactions shared by the SQL stores: retry a run, read its retries back."""

from __future__ import annotations

from collections.abc import Mapping

from xene.store import retries, rows
from xene.store.base import RetryRequest, RunRetry
from xene.store.txn import Stmt, Txn

Queries = Mapping[str, str]


def retry_run(q: Queries, run_id: str, request: RetryRequest) -> Txn[RunRetry | None]:
    """Compare-and-set on the run's state first; only then set its nodes back."""
    queued = yield Stmt(q["queue_retried_run"], (request.owner, request.lease_until, run_id))
    if queued.rowcount != 1:
        return None
    wanted = set(request.nodes)
    found = yield Stmt(q["retried_nodes"], (run_id,))
    before = tuple(retries.retried(n) for n in map(rows.db_node, found.rows) if n.key in wanted)
    if before:
        keys = [(run_id, node.key) for node in before]
        yield Stmt(q["reset_retried_node"], keys, many=True)
        yield Stmt(q["reset_retried_steps"], keys, many=True)
    (last, log_seq), *_ = (yield Stmt(q["retry_counters"], (run_id, run_id))).rows
    retry = RunRetry(int(last) + 1, request.by, request.at, request.from_node, int(log_seq), before)
    yield Stmt(
        q["insert_retry"],
        (run_id, retry.number, retry.by, retry.at, retry.from_node, retry.log_seq,
         retries.nodes_json(before)),
    )  # fmt: skip
    return retry


def run_retries(q: Queries, run_id: str) -> Txn[tuple[RunRetry, ...]]:
    found = yield Stmt(q["run_retries"], (run_id,))
    return tuple(
        RunRetry(int(n), str(by), float(at), node, int(seq), retries.nodes_from_json(text))
        for n, by, at, node, seq, text in found.rows
    )
