"""The store an agent's execution of one run commits through: all the engine asks of a
store while it executes a claimed run (`commit`, `get_approval`, `decide`), over the
agent routes instead of a database.

A commit goes to the run's outbox (on disk at once, sent in order by the outbox's own
task), so the engine never waits on the network for it. An approval is read or decided
only once the outbox has sent what it holds: the server must have the approval's row
(and the run's nodes) before it is asked about them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from xene.agent.calls import AgentApi
from xene.agent.outbox import Outbox
from xene.core.states import Decision
from xene.errors import XeneError
from xene.store.base import ApprovalRecord, Batch, Fenced
from xene.store.wire import batch_json


class AgentRunStore:
    """An `ExecutionStore` (xene.store.roles) of one run this agent holds at `epoch`."""

    def __init__(self, run_id: str, epoch: int, outbox: Outbox, api: AgentApi) -> None:
        self.run_id, self.epoch = run_id, epoch
        self.outbox, self.api = outbox, api

    def _fenced(self) -> Fenced:
        return Fenced(
            f"run {self.run_id}'s lease has moved on (epoch {self.epoch} is not current): "
            "another agent has it now"
        )

    async def commit(self, run_id: str, batch: Batch) -> None:
        """Put the batch in the run's outbox; Fenced once the run is not the agent's."""
        if run_id != self.run_id:
            raise ValueError(f"this store commits run {self.run_id} only, not {run_id}")
        if self.outbox.fenced:
            raise self._fenced()
        self.outbox.put({"batch": batch_json(batch)})

    async def get_approval(self, hook_id: str) -> ApprovalRecord | None:
        await self._sent()
        answer = await self.api.insist("GET", f"/approvals/{quote(hook_id, safe='')}")
        if answer.status == 404:
            return None
        return approval_of(self._json(answer.status, answer.error(), answer.json()))

    async def decide(
        self, hook_id: str, decision: Decision, data: Any, reason: str, at: float
    ) -> ApprovalRecord | None:
        """Record the decision (compare-and-set on the server); None if decided already."""
        await self._sent()
        body = {"decision": str(decision), "data": data, "reason": reason, "at": at}
        path = f"/approvals/{quote(hook_id, safe='')}/decide"
        answer = await self.api.insist("POST", path, body)
        said = self._json(answer.status, answer.error(), answer.json())
        return None if said.get("approval") is None else approval_of(said["approval"])

    async def _sent(self) -> None:
        if not await self.outbox.sent_all():
            raise self._fenced()

    def _json(self, status: int, error: str, said: Any) -> dict[str, Any]:
        if status == 409:
            raise self._fenced()
        if status != 200 or not isinstance(said, dict):
            raise XeneError(f"run {self.run_id}: the server refused an approval call: {error}")
        return said


def approval_of(data: dict[str, Any]) -> ApprovalRecord:
    """An approval from its JSON form (`dataclasses.asdict` of the record)."""
    decision = data.get("decision")
    return ApprovalRecord(
        hook_id=str(data["hook_id"]),
        run_id=str(data["run_id"]),
        node=str(data["node"]),
        metadata=dict(data.get("metadata") or {}),
        created_at=float(data["created_at"]),
        timeout_at=data.get("timeout_at"),
        timeout_action=Decision(data["timeout_action"]),
        decision=None if decision is None else Decision(decision),
        data=data.get("data"),
        reason=str(data.get("reason") or ""),
        decided_at=data.get("decided_at"),
    )
