"""Approval transactions shared by the SQL stores: list, get, decide once."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xene.store import rows
from xene.store.base import ApprovalRecord
from xene.store.txn import Row, Stmt, Txn

Queries = Mapping[str, str]


def approval_params(s: ApprovalRecord) -> tuple[Any, ...]:
    return (
        s.hook_id, s.run_id, s.node, rows.dumps(s.metadata), s.created_at, s.timeout_at,
        s.timeout_action, s.decision, rows.dumps(s.data), s.reason, s.decided_at,
    )  # fmt: skip


def approval(row: Row) -> ApprovalRecord:
    (hook_id, run_id, node, metadata_json, created_at, timeout_at, timeout_action,
     decision, data_json, reason, decided_at) = row  # fmt: skip
    return ApprovalRecord(
        hook_id=hook_id, run_id=run_id, node=node, metadata=rows.loads(metadata_json) or {},
        created_at=created_at, timeout_at=timeout_at, timeout_action=timeout_action,
        decision=decision, data=rows.loads(data_json), reason=reason, decided_at=decided_at,
    )  # fmt: skip


def list_approvals(q: Queries, pending: bool) -> Txn[list[ApprovalRecord]]:
    found = yield Stmt(q["pending_approvals" if pending else "all_approvals"])
    return [approval(row) for row in found.rows]


def get_approval(q: Queries, hook_id: str) -> Txn[ApprovalRecord | None]:
    found = yield Stmt(q["get_approval"], (hook_id,))
    return approval(found.rows[0]) if found.rows else None


def decide(
    q: Queries, hook_id: str, decision: str, data: Any, reason: str, at: float
) -> Txn[ApprovalRecord | None]:
    """Compare-and-set: only an undecided approval takes the decision."""
    done = yield Stmt(q["decide"], (decision, rows.dumps(data), reason, at, hook_id))
    if done.rowcount != 1:
        return None
    return (yield from get_approval(q, hook_id))
