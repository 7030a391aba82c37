"""What an execution needs to keep its run in a store, and the decisions of its wait nodes.

Behind the loop (`Execution`), as `constructs` is: it sees the run only through
`xene.engine.run_view`. The runs themselves are started and recovered in
`xene.engine.durable`, above the loop.
"""

from __future__ import annotations

import asyncio
from dataclasses import field
from typing import TYPE_CHECKING

from xene.core.records import NodeRecord
from xene.core.states import State
from xene.engine.journal import Journal
from xene.engine.options import Approval, ApprovalRequest
from xene.errors import Suspend
from xene.frozen import slotted
from xene.store.base import ApprovalRecord
from xene.store.roles import ExecutionStore

if TYPE_CHECKING:
    from xene.engine.run_view import RunControl


@slotted
class Durable:
    """What an execution needs to keep its run in a store."""

    store: ExecutionStore
    recovered: dict[str, NodeRecord] = field(default_factory=dict)
    """Records a previous process finished: replayed, never run again."""
    epoch: int | None = None
    """The epoch of the lease this execution holds (`StoredRun.epoch`), which its
    commits carry; None: they are not fenced."""

    async def approval_for(
        self, execution: RunControl, request: ApprovalRequest, record: NodeRecord
    ) -> Approval:
        """The decision for a wait node: recorded already, timed out, asked now, or Suspend."""
        journal, clock = execution.journal, execution.options.clock
        assert isinstance(journal, Journal)  # a durable execution keeps one
        waiting = await self.store.get_approval(request.hook_id)
        now = clock.now()
        if waiting is None:
            waiting = _approval_record(request, now)
            journal.suspend(waiting)
            execution.set_state(record, State.SUSPENDED)
            await journal.flush(now)
        if waiting.decision is not None:
            return Approval(waiting.decision, waiting.data, waiting.reason)
        if waiting.timeout_at is not None and now >= waiting.timeout_at:
            return await self._decide(
                request, Approval(request.timeout_action, reason="timed out"), now
            )
        if execution.options.approver is None:
            raise Suspend(request.hook_id)
        approval = await _ask(execution, request, waiting, now)
        return await self._decide(request, approval, clock.now())

    async def _decide(self, request: ApprovalRequest, approval: Approval, now: float) -> Approval:
        decided = await self.store.decide(
            request.hook_id, approval.decision, approval.data, approval.reason, now
        )
        if decided is None:  # decided elsewhere meanwhile: theirs stands
            theirs = await self.store.get_approval(request.hook_id)
            if theirs is not None and theirs.decision is not None:
                return Approval(theirs.decision, theirs.data, theirs.reason)
        return approval


async def _ask(
    execution: RunControl, request: ApprovalRequest, waiting: ApprovalRecord, now: float
) -> Approval:
    approver = execution.options.approver
    assert approver is not None
    remaining = None if waiting.timeout_at is None else max(waiting.timeout_at - now, 0)
    try:
        async with asyncio.timeout(remaining):
            return await approver(request)
    except TimeoutError:
        return Approval(request.timeout_action, reason="timed out")


def _approval_record(request: ApprovalRequest, now: float) -> ApprovalRecord:
    return ApprovalRecord(
        hook_id=request.hook_id,
        run_id=request.run_id,
        node=request.node,
        metadata=dict(request.metadata),
        created_at=now,
        timeout_at=None if request.timeout_s is None else now + request.timeout_s,
        timeout_action=request.timeout_action,
    )
