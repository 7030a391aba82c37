"""Suspension transactions shared by the SQL stores: list, get, decide once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xene.store import rows
from xene.store.base import Suspension
from xene.store.txn import Row, Stmt, Txn

Queries = Mapping[str, str]


def suspension_params(s: Suspension) -> tuple[Any, ...]:
    return (
        s.hook_id, s.run_id, s.node, rows.dumps(s.metadata), s.created_at, s.timeout_at,
        s.timeout_action, s.decision, rows.dumps(s.data), s.reason, s.decided_at,
    )  # fmt: skip


def suspension(row: Row) -> Suspension:
    (hook_id, run_id, node, metadata_json, created_at, timeout_at, timeout_action,
     decision, data_json, reason, decided_at) = row  # fmt: skip
    return Suspension(
        hook_id=hook_id, run_id=run_id, node=node, metadata=rows.loads(metadata_json) or {},
        created_at=created_at, timeout_at=timeout_at, timeout_action=timeout_action,
        decision=decision, data=rows.loads(data_json), reason=reason, decided_at=decided_at,
    )  # fmt: skip


def list_suspensions(q: Queries, pending: bool) -> Txn[list[Suspension]]:
    found = yield Stmt(q["pending_suspensions" if pending else "all_suspensions"])
    return [suspension(row) for row in found.rows]


def get_suspension(q: Queries, hook_id: str) -> Txn[Suspension | None]:
    found = yield Stmt(q["get_suspension"], (hook_id,))
    return suspension(found.rows[0]) if found.rows else None


def decide(
    q: Queries, hook_id: str, decision: str, data: Any, reason: str, at: float
) -> Txn[Suspension | None]:
    """Compare-and-set: only an undecided suspension takes the decision."""
    done = yield Stmt(q["decide"], (decision, rows.dumps(data), reason, at, hook_id))
    if done.rowcount != 1:
        return None
    return (yield from get_suspension(q, hook_id))
