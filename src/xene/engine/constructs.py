"""Splits, loops and approvals: the nodes that open regions or wait on people.

A split opens one body region per item and completes on `done` with the branches' final
outputs in item order. A loop opens one body region per iteration; the body's `loop_back`
edge brings the next input back to the loop, which decides again. A wait asks the
engine's approver and continues on `out`, `rejected` or `escalated`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any

from xene.core import planner
from xene.core.planner import RegionRun, Start
from xene.core.records import NodeRecord
from xene.core.states import Decision, State
from xene.engine.options import PORT_OF_DECISION, Approval, ApprovalRequest
from xene.errors import ApprovalRequired, NodeFailed
from xene.frozen import slotted
from xene.ir import Node
from xene.nodes import registry
from xene.nodes.base import NodeResult

if TYPE_CHECKING:
    from xene.core.plan import Plan
    from xene.engine.context import Context
    from xene.engine.kept import Durable
    from xene.engine.run_view import RunControl


@slotted
class _Owner:
    start: Start
    record: NodeRecord
    index: int
    split: _SplitState | None = None


@slotted
class _SplitState:
    items: list[Any]
    results: list[Any]
    remaining: int
    opened: int = 0
    """Items whose body region has been opened, in item order."""
    failed: list[int] = field(default_factory=list)


OPEN_ITEMS = 256
"""Body regions a split keeps open at once (at least twice the run's concurrency): each
holds the planner's bookkeeping, so a split of 100,000 items opens them as others end."""


class Constructs:
    """The splits, loops and waits of one execution."""

    def __init__(
        self,
        execution: RunControl,
        context: Context,
        plan: Plan,
        limit: int,
        durable: Durable | None = None,
    ) -> None:
        self.ex = execution
        self.context = context
        self.plan = plan
        self.limit = limit
        self.durable = durable
        self.owners: dict[RegionRun, _Owner] = {}

    # -- split ------------------------------------------------------------------------
    def fan_out(self, start: Start, record: NodeRecord, items: Any) -> None:
        ex = self.ex
        items = list(items)
        record.progress = (0, len(items))
        if not items:
            ex.complete(start, record, NodeResult(output=[], ports=("done",)))
            return
        self.context.split_items[record.key] = items
        state = _SplitState(items, results=[None] * len(items), remaining=len(items))
        for _ in range(min(len(items), max(OPEN_ITEMS, 2 * self.limit))):
            self._open_item(start, record, state)

    def _open_item(self, start: Start, record: NodeRecord, state: _SplitState) -> None:
        index = state.opened
        state.opened += 1
        scope = (*start.region.scope, (start.node, index))
        body = planner.open_region(self.plan.regions[start.node], scope, self.context.check)
        self.owners[body] = _Owner(start, record, index, state)
        self.ex.apply(planner.enter(body, state.items[index]))

    def _item_done(self, body: RegionRun, owner: _Owner, state: _SplitState) -> None:
        state.results[owner.index] = branch_output(body)
        if body.failed:
            state.failed.append(owner.index)
        state.remaining -= 1
        total = len(state.results)
        owner.record.progress = (total - state.remaining, total)
        self.ex.listener.progress_changed(self.ex.run, owner.record)
        if state.opened < total:
            self._open_item(owner.start, owner.record, state)
        if state.remaining:
            return
        self.context.split_items.pop(owner.record.key, None)
        if state.failed:
            first = min(state.failed)
            message = f"{len(state.failed)} of {total} items failed (first: item {first})"
            self.ex.node_failed(owner.start, owner.record, message)
        else:
            result = NodeResult(output=state.results, ports=("done",))
            self.ex.complete(owner.start, owner.record, result)

    # -- loop -------------------------------------------------------------------------
    def iterate(self, start: Start, record: NodeRecord, value: Any, iteration: int) -> None:
        """Run iteration `iteration` of a loop's body with `value` as its input."""
        ex = self.ex
        record.progress = (iteration, iteration)
        ex.listener.progress_changed(ex.run, record)
        scope = (*start.region.scope, (start.node, iteration))
        body = planner.open_region(self.plan.regions[start.node], scope, self.context.check)
        self.owners[body] = _Owner(start, record, iteration)
        ex.apply(planner.enter(body, value))

    def _iteration_done(self, body: RegionRun, owner: _Owner) -> None:
        ex, start, record = self.ex, owner.start, owner.record
        if body.failed:
            ex.node_failed(start, record, f"iteration {owner.index} failed")
            return
        if not body.looped_back:
            ex.complete(start, record, NodeResult(output=branch_output(body), ports=("exit",)))
            return
        nxt = owner.index + 1
        node = ex.nodes[start.node]
        decide = registry.get(node.type)
        assert decide is not None
        again = Start(start.region, start.node, body.loop_back_output, start.inputs)
        try:
            ctx = self.context.for_node(node, again, record, {"iteration": nxt})
            result = decide.fn(ctx)
        except Exception as exc:
            ex.node_failed(start, record, str(exc) or type(exc).__name__)
            return
        assert isinstance(result, NodeResult)
        if "continue" in result.ports:
            self.iterate(start, record, result.output, nxt)
        else:
            ex.complete(start, record, result)

    # -- regions ending -----------------------------------------------------------------
    def region_done(self, body: RegionRun) -> None:
        if body.region.id == "":
            self.ex.root_done()
            return
        owner = self.owners.pop(body)
        if owner.split is not None:
            self._item_done(body, owner, owner.split)
        else:
            self._iteration_done(body, owner)

    # -- wait -------------------------------------------------------------------------
    async def wait(self, node: Node, start: Start, record: NodeRecord) -> NodeResult:
        ex = self.ex
        ask = registry.get(node.type)
        assert ask is not None
        asked = ask.fn(self.context.for_node(node, start, record))
        assert isinstance(asked, NodeResult)
        if asked.ports != ("wait",):
            return asked
        request = _request(ex.run.id, record, asked.output)
        if self.durable is not None:
            approval = await self.durable.approval_for(ex, request, record)
            if record.state is State.SUSPENDED:
                ex.set_state(record, State.RUNNING)
            return _decided(start.input, approval)
        if ex.options.approver is None:
            raise ApprovalRequired(
                f"node {node.id!r} waits for a decision (hook {request.hook_id}); run in a "
                f"terminal to be asked, or pass --approve {node.id}=approve|reject|escalate"
            )
        ex.set_state(record, State.SUSPENDED)
        try:
            async with asyncio.timeout(request.timeout_s):
                approval = await ex.options.approver(request)
        except TimeoutError:
            approval = Approval(request.timeout_action, reason="timed out")
        ex.set_state(record, State.RUNNING)
        return _decided(start.input, approval)


def _decided(data: Any, approval: Approval) -> NodeResult:
    """The wait node's result: its input, with the decision, on the decision's port."""
    port = PORT_OF_DECISION.get(approval.decision)
    if port is None:
        raise NodeFailed(f"unknown decision {approval.decision!r}")
    decision = {"decision": approval.decision, "data": approval.data, "reason": approval.reason}
    if isinstance(data, Mapping):
        return NodeResult(output={**data, "approval": decision}, ports=(port,))
    return NodeResult(output={"input": data, "approval": decision}, ports=(port,))


def _request(run_id: str, record: NodeRecord, asked: Any) -> ApprovalRequest:
    """The hook id is unique per run and item: `<hook_id or node>[scope]-<run suffix>`."""
    asked = asked if isinstance(asked, Mapping) else {}
    base = str(asked.get("hook_id") or record.node_id)
    timeout = asked.get("timeout_secs")
    action = Decision.REJECT
    for choice in Decision:
        if asked.get("timeout_action") == choice:
            action = choice
    return ApprovalRequest(
        run_id=run_id,
        node=record.key,
        hook_id=f"{base}{record.key[len(record.node_id) :]}-{run_id[-8:]}",
        metadata=asked.get("metadata") or {},
        timeout_s=float(timeout) if timeout else None,
        timeout_action=action,
    )


def branch_output(body: RegionRun) -> Any:
    """A branch's final output: its last node's output, or each end's by node id."""
    ends = [s for s in body.region.sinks if s in body.outputs]
    if not ends:
        return None
    if len(ends) == 1:
        return body.outputs[ends[0]]
    return {s: body.outputs[s] for s in ends}
