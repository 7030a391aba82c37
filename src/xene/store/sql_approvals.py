"""Approval transactions shared by the SQL stores: list, get, decide once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xene.core.states import Decision
from xene.store import rows
from xene.store.base import ApprovalRecord
from xene.store.txn import Stmt, Txn

Queries = Mapping[str, str]


def approval_params(s: ApprovalRecord) -> tuple[Any, ...]:
    return (
        s.hook_id, s.run_id, s.node, rows.dumps(s.metadata), s.created_at, s.timeout_at,
        s.timeout_action, s.decision, rows.dumps(s.data), s.reason, s.decided_at,
    )  # fmt: skip


def list_approvals(q: Queries, pending: bool) -> Txn[list[ApprovalRecord]]:
    found = yield Stmt(q["pending_approvals" if pending else "all_approvals"])
    return [rows.db_approval(row) for row in found.rows]


def get_approval(q: Queries, hook_id: str) -> Txn[ApprovalRecord | None]:
    found = yield Stmt(q["get_approval"], (hook_id,))
    return rows.db_approval(found.rows[0]) if found.rows else None


def decide(
    q: Queries, hook_id: str, decision: Decision, data: Any, reason: str, at: float
) -> Txn[ApprovalRecord | None]:
    """Compare-and-set: only an undecided approval takes the decision."""
    done = yield Stmt(q["decide"], (decision, rows.dumps(data), reason, at, hook_id))
    if done.rowcount != 1:
        return None
    return (yield from get_approval(q, hook_id))
