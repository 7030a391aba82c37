"""The engine executes a claimed run through a store that can only commit and read and
make wait nodes' decisions (`ExecutionStore`), as a remote agent's store; starting or
resuming a run needs a full store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FakeClock
from xene.core.states import Decision, State
from xene.engine.engine import Engine
from xene.engine.options import Approval, ApprovalRequest, EngineOptions
from xene.errors import XeneError
from xene.ir import TASK, Edge, Node, Pipeline, Step
from xene.store.base import ApprovalRecord, Batch, NewRun, RunSource
from xene.store.memory import MemoryStore
from xene.store.roles import ExecutionStore

SOURCE = RunSource("", "", "python", "wf", "p")


class CommitsOnly:
    """An `ExecutionStore` and nothing more, over a store it writes to."""

    def __init__(self, store: MemoryStore) -> None:
        self._store = store
        self.batches: list[Batch] = []

    async def commit(self, run_id: str, batch: Batch) -> None:
        self.batches.append(batch)
        await self._store.commit(run_id, batch)

    async def get_approval(self, hook_id: str) -> ApprovalRecord | None:
        return await self._store.get_approval(hook_id)

    async def decide(
        self, hook_id: str, decision: Decision, data: Any, reason: str, at: float
    ) -> ApprovalRecord | None:
        return await self._store.decide(hook_id, decision, data, reason, at)


def pipeline(work: Path) -> Pipeline:
    return Pipeline(
        "p",
        nodes=(
            Node("ask", "std::wait"),
            Node("build", TASK, steps=(Step("s", cmd=f"echo built > {work}/built"),)),
        ),
        edges=(Edge("ask", "build"),),
    )


async def approve(request: ApprovalRequest) -> Approval:
    return Approval(Decision.APPROVE, reason="fine")


async def test_a_store_with_only_commit_and_decisions_executes_a_claimed_run(
    tmp_path: Path, clock: FakeClock
) -> None:
    store = MemoryStore()
    now = clock.now()
    await store.create_run(NewRun.of("01HXNARROW0000000000000001", SOURCE, None, now))
    [stored] = await store.claim_stored_runs("agent:a", 1, now + 15, now)
    narrow = CommitsOnly(store)
    assert isinstance(narrow, ExecutionStore)
    options = EngineOptions(clock=clock, approver=approve)
    execution = await Engine(options, narrow).recover(stored, pipeline(tmp_path))
    run = await execution.execute()
    assert run.state is State.SUCCESS
    assert (tmp_path / "built").read_text() == "built\n"
    after = await store.get_run(run.id)
    assert after is not None
    assert after.record.state is State.SUCCESS
    assert {batch.epoch for batch in narrow.batches} == {stored.epoch}
    [approval] = await store.list_approvals(pending=False)
    assert (approval.run_id, approval.decision) == (run.id, Decision.APPROVE)


async def test_starting_or_resuming_needs_a_full_store(clock: FakeClock, tmp_path: Path) -> None:
    store = MemoryStore()
    now = clock.now()
    await store.create_run(NewRun.of("01HXNARROW0000000000000002", SOURCE, None, now))
    stored = await store.get_run("01HXNARROW0000000000000002")
    assert stored is not None
    engine = Engine(EngineOptions(clock=clock), CommitsOnly(store))
    with pytest.raises(XeneError, match="full store"):
        await engine.start(pipeline(tmp_path), None, SOURCE)
    with pytest.raises(XeneError, match="full store"):
        await engine.resume(stored, pipeline(tmp_path))
