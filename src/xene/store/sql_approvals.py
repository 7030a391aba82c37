"""Approval transactions shared by the SQL stores: list, get, decide once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xene.core.states import Decision
from xene.store import rows
from xene.store.base import Suspension
from xene.store.txn import Stmt, Txn

Queries = Mapping[str, str]


def approval_params(s: ApprovalRecord) -> tuple[Any, ...]:
    return (
        s.hook_id, s.run_id, s.node, rows.dumps(s.metadata), s.created_at, s.timeout_at,
        s.timeout_action, s.decision, rows.dumps(s.data), s.reason, s.decided_at,
    )  # fmt: skip


def list_suspensions(q: Queries, pending: bool) -> Txn[list[Suspension]]:
    found = yield Stmt(q["pending_suspensions" if pending else "all_suspensions"])
    return [rows.db_suspension(row) for row in found.rows]


def get_suspension(q: Queries, hook_id: str) -> Txn[Suspension | None]:
    found = yield Stmt(q["get_suspension"], (hook_id,))
    return rows.db_suspension(found.rows[0]) if found.rows else None


def decide(
    q: Queries, hook_id: str, decision: Decision, data: Any, reason: str, at: float
) -> Txn[Suspension | None]:
    """Compare-and-set: only an undecided suspension takes the decision."""
    done = yield Stmt(q["decide"], (decision, rows.dumps(data), reason, at, hook_id))
    if done.rowcount != 1:
        return None
    return (yield from get_approval(q, hook_id))
