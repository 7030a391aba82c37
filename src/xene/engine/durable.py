"""Runs kept in a store: started, resumed after a crash, suspended on approvals.

The steps behind the front door (`xene.engine.engine.Engine`), above the loop they build
(`Execution`): `start_run` records a new run before anything executes; `recover`
continues an unfinished run this process has claimed: orphans of its dead owner are
ended, finished nodes are replayed from the store (not run again), nodes that were
running run again, suspended ones ask again for their decision (`xene.engine.kept`).

An execution holds its run's lease at an epoch (1 for a run it creates, the claim's for
one it recovers: `StoredRun.epoch`); its commits carry it, so that once another executor
claims the run they fail (`Fenced`) and the execution stops.
"""

from __future__ import annotations

from typing import Any

from xene.core.plan import Plan
from xene.core.records import NodeRecord, RunRecord
from xene.core.states import State
from xene.engine import workspace_gone
from xene.engine.execution import Execution
from xene.engine.kept import Durable
from xene.engine.options import LEASE_S, EngineOptions
from xene.errors import XeneError
from xene.ir import Pipeline
from xene.store.base import NewRun, RunSource, Store, StoredRun
from xene.store.fencing import created_epoch
from xene.store.owners import owner_id
from xene.store.roles import ExecutionStore


class CannotResume(XeneError):
    """The run cannot be resumed."""


async def start_run(
    store: Store,
    pipeline: Pipeline,
    input: Any,
    source: RunSource,
    options: EngineOptions,
    *,
    idempotency_key: str | None = None,
) -> tuple[Execution, bool]:
    """Record a new run and return its execution; `False` when the idempotency key names
    an existing run (its execution is then only a view of the stored record)."""
    now = options.clock.now()
    new = NewRun.of(options.new_id(), source, input, now, idempotency_key)
    new = new.executed_by(owner_id(), now + options.lease_s)
    run_id, created = await store.create_run(new)
    if not created:
        stored = await store.get_run(run_id)
        assert stored is not None
        return Execution(Plan.build(pipeline), stored.record, options), False
    run = RunRecord(id=run_id, workflow=source.workflow, pipeline=pipeline.name, input=input)
    durable = Durable(store, epoch=created_epoch(new))
    return Execution(Plan.build(pipeline), run, options, durable), True


async def recover(
    store: ExecutionStore, stored: StoredRun, pipeline: Pipeline, options: EngineOptions
) -> Execution:
    """The execution of a run this process has claimed, once whatever its previous
    owner left running on this host has ended: never two copies of one step at once.

    A container pipeline's run takes its containers over first (ending what its dead
    owner left running in them); when they are gone, so are the files its finished
    tasks left in the workspace: those tasks run again (`workspace_gone`)."""
    await end_orphans(stored, options.grace_s)
    durable = Durable(store, replayed(stored.record), stored.epoch)
    execution = Execution(Plan.build(pipeline), stored.record, options, durable)
    if execution.executors.uses_containers and not await execution.executors.attach():
        # Before it executes: the execution replays what `durable.recovered` holds.
        workspace_gone.run_again(durable.recovered, pipeline)
    return execution


async def end_orphans(stored: StoredRun, grace_s: float) -> None:
    """End the process groups of steps a dead owner left running (SIGTERM, then SIGKILL
    after `grace_s`): recorded ones, and any whose environment names the run's nodes."""
    from xene.executors.processes import ProcessRef, end_groups, live_groups

    record = stored.record
    keys = [key for key, node in record.nodes.items() if node.state in _IN_FLIGHT]
    refs = [
        ref
        for key in keys
        for step in record.nodes[key].steps
        if (ref := ProcessRef.parse(step.process)) is not None
    ]
    groups = live_groups(refs, record.id, keys) if keys else set()
    if groups:
        await end_groups(groups, grace_s)


_IN_FLIGHT = frozenset({State.WAITING, State.RUNNING, State.CANCELLED, State.CONFIGURING})
"""Node states in which a dead owner may have left a step running."""


async def claim(store: Store, stored: StoredRun, now: float, lease_s: float = LEASE_S) -> StoredRun:
    """Make this process the run's owner, or raise CannotResume saying why not; the run
    as claimed (read again: its epoch is the claim's)."""
    record = stored.record
    if record.state.finished:
        raise CannotResume(f"run {record.id} has ended already ({record.state})")
    if not await store.claim_run(record.id, owner_id(), now + lease_s, now):
        raise CannotResume(
            f"run {record.id} is being executed by {stored.owner} (its lease runs until "
            "that process stops); resume it when that process has ended"
        )
    claimed = await store.get_run(record.id)
    if claimed is None:
        raise CannotResume(f"run {record.id} was deleted meanwhile")
    return claimed


async def give_up(store: ExecutionStore, run_id: str, reason: str, now: float) -> None:
    """End a run that cannot be recovered in Error, with the reason; others are untouched."""
    from xene.store.base import Batch, RunRow

    await store.commit(run_id, Batch(run=RunRow(run_id, State.ERROR, reason, None, now)))


def replayed(record: RunRecord) -> dict[str, NodeRecord]:
    """The nodes of a run being recovered that are replayed (finished ones); nodes that
    were running, or were cancelled when a process stopped, are set back, to run again."""
    recovered = {}
    for key, node in record.nodes.items():
        if node.state.finished and node.state is not State.CANCELLED:
            recovered[key] = node
        elif node.state is not State.NOT_EXECUTED:
            node.state = State.NOT_EXECUTED
    return recovered


def pipeline_of(stored: StoredRun) -> Pipeline:
    """The pipeline as it was when the run started: from the recorded text, not from the
    file or applied workflow as they are now (a Python file is imported again)."""
    return pipeline_of_source(stored.source)


def pipeline_of_source(source: RunSource) -> Pipeline:
    """The pipeline a run's recorded source defines (a Python file is imported again)."""
    from xene.spec.load import load_file, load_text

    if source.format == "python":
        workflow = load_file(source.path)
    else:
        workflow = load_text(source.text, source.path)
    return workflow.pipeline(source.pipeline)
