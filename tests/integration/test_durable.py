"""Runs kept in a store: committed as they go, resumed, suspended, deduplicated."""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FakeClock, Recorder, states
from xene.core.records import RunRecord
from xene.core.states import State
from xene.engine.durable import start_run
from xene.engine.engine import Engine
from xene.engine.options import EngineOptions
from xene.ir import TASK, Edge, Node, Pipeline, Step
from xene.store import open_store
from xene.store.base import Batch, RunSource, Store
from xene.store.rows import node_row, run_row

SOURCE = RunSource("", "", "python", "wf", "p")


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/x.db"
    opened = await open_store(url)
    yield opened
    await opened.close()


def options(clock: FakeClock, recorder: Recorder, **more: Any) -> EngineOptions:
    return EngineOptions(clock=clock, listeners=(recorder,), grace_s=1.0, **more)


def shell(name: str, cmd: str) -> Node:
    return Node(name, TASK, steps=(Step("s", cmd=cmd),), join="all")


def chain(tmp_path: Path) -> Pipeline:
    effects = tmp_path / "effects"
    return Pipeline(
        "p",
        nodes=tuple(
            shell(n, f"echo {n} >> {effects}; echo out={n} >> $XENE_OUTPUT") for n in "abc"
        ),
        edges=(Edge("a", "b"), Edge("b", "c")),
    )


async def test_a_run_is_committed_with_its_nodes_and_outputs(
    store: Store, clock: FakeClock, recorder: Recorder, tmp_path: Path
) -> None:
    execution, created = await start_run(
        store, chain(tmp_path), {"x": 1}, SOURCE, options(clock, recorder)
    )
    run = await execution.execute()
    stored = await store.get_run(run.id)
    assert created
    assert stored is not None
    assert stored.record.state is State.SUCCESS
    assert states(stored.record) == {"a": "Success", "b": "Success", "c": "Success"}
    assert stored.record.nodes["c"].output == {"out": "c"}
    assert stored.record.input == {"x": 1}


def _state_of_a(db: str, run_id: str) -> str:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT state FROM nodes WHERE run_key = (SELECT run_key FROM runs WHERE id = ?)"
            " AND key = 'a'",
            (run_id,),
        ).fetchone()
    return str(row[0])


async def test_a_nodes_completion_is_committed_before_its_successor_starts(
    tmp_path: Path, clock: FakeClock, recorder: Recorder
) -> None:
    db = str(tmp_path / "w.db")
    store = await open_store(f"sqlite:///{db}")
    run_id: list[str] = []
    seen: list[str] = []

    def look() -> None:
        seen.append(_state_of_a(db, run_id[0]))

    pipeline = Pipeline(
        "p",
        nodes=(
            shell("a", "true"),
            Node("b", TASK, steps=(Step("look", kind="python", fn=look),), join="all"),
        ),
        edges=(Edge("a", "b"),),
    )
    execution, _ = await start_run(store, pipeline, None, SOURCE, options(clock, recorder))
    run_id.append(execution.run.id)
    await execution.execute()
    await store.close()
    assert seen == ["Success"]


async def _crashed(store: Store, pipeline: Pipeline, clock: FakeClock) -> RunRecord:
    """A run as a killed process leaves it: `a` done, `b` running, `c` not started."""
    execution, _ = await start_run(store, pipeline, None, SOURCE, EngineOptions(clock=clock))
    run = execution.run
    run.state = State.RUNNING
    for key in "abc":
        execution.run.nodes[key] = _node(key)
    run.nodes["a"].state, run.nodes["a"].output, run.nodes["a"].ports = (
        State.SUCCESS,
        {"out": "a"},
        ("out",),
    )
    run.nodes["b"].state, run.nodes["b"].attempt = State.RUNNING, 1
    batch = Batch(run=run_row(run), nodes=[node_row(n) for n in run.nodes.values()])
    await store.commit(run.id, batch)
    return run


def _node(key: str) -> Any:
    from xene.core.records import NodeRecord

    return NodeRecord(key=key, node_id=key, type=TASK)


async def test_resuming_replays_finished_nodes_and_reruns_the_running_one(
    store: Store, clock: FakeClock, recorder: Recorder, tmp_path: Path
) -> None:
    pipeline = chain(tmp_path)
    crashed = await _crashed(store, pipeline, clock)
    clock.time += 3600  # the dead process's lease has expired
    stored = await store.get_run(crashed.id)
    assert stored is not None
    execution = await Engine(options(clock, recorder), store).resume(stored, pipeline)
    run = await execution.execute()
    assert run.state is State.SUCCESS
    assert (tmp_path / "effects").read_text().split() == ["b", "c"]
    assert run.nodes["b"].attempt == 2
    assert run.nodes["b"].input == {"out": "a"}


async def test_a_run_held_by_a_live_owner_is_not_resumed(
    store: Store, clock: FakeClock, recorder: Recorder, tmp_path: Path
) -> None:
    from xene.engine.durable import CannotResume
    from xene.store.base import NewRun

    now = clock.now()
    other = NewRun("r1", "wf", "p", None, SOURCE, now, "elsewhere:42", now + 30)
    await store.create_run(other)
    stored = await store.get_run("r1")
    assert stored is not None
    with pytest.raises(CannotResume, match="is being executed by elsewhere:42"):
        await Engine(options(clock, recorder), store).resume(stored, chain(tmp_path))


def gate_pipeline() -> Pipeline:
    return Pipeline(
        "p",
        nodes=(
            Node("gate", "std::wait", config={"metadata_fields": ["amount"]}),
            Node("yes", "std::log", config={"message": "approved"}),
            Node("no", "std::log", config={"message": "rejected ${gate.approval.reason}"}),
        ),
        edges=(Edge("gate", "yes"), Edge("gate", "no", "rejected")),
    )


async def test_a_wait_node_suspends_the_run_in_the_store(
    store: Store, clock: FakeClock, recorder: Recorder
) -> None:
    execution, _ = await start_run(
        store, gate_pipeline(), {"amount": 5}, SOURCE, options(clock, recorder)
    )
    run = await execution.execute()
    assert run.state is State.SUSPENDED
    (waiting,) = await store.list_approvals()
    assert waiting.node == "gate"
    assert waiting.metadata == {"amount": 5}
    stored = await store.get_run(run.id)
    assert stored is not None
    assert stored.record.state is State.SUSPENDED
    assert stored.record.nodes["gate"].state is State.SUSPENDED


async def test_a_decision_resumes_a_suspended_run_on_its_port(
    store: Store, clock: FakeClock, recorder: Recorder
) -> None:
    pipeline = gate_pipeline()
    execution, _ = await start_run(store, pipeline, {"amount": 5}, SOURCE, options(clock, recorder))
    await execution.execute()
    (waiting,) = await store.list_approvals()
    await store.decide(waiting.hook_id, "reject", None, "too much", clock.now())
    clock.time += 3600
    stored = await store.get_run(execution.run.id)
    assert stored is not None
    resumed = await Engine(options(clock, recorder), store).resume(stored, pipeline)
    run = await resumed.execute()
    assert run.state is State.SUCCESS
    assert states(run)["no"] == "Success"
    assert states(run)["yes"] == "Skipped"
    assert ("no", None, "rejected too much") in recorder.lines


async def test_an_approval_past_its_timeout_takes_its_timeout_action(
    store: Store, clock: FakeClock, recorder: Recorder
) -> None:
    pipeline = gate_pipeline()
    config = {"timeout_secs": 60, "timeout_action": "approve"}
    pipeline = Pipeline(
        "p",
        nodes=(Node("gate", "std::wait", config=config), *pipeline.nodes[1:]),
        edges=pipeline.edges,
    )
    execution, _ = await start_run(store, pipeline, {}, SOURCE, options(clock, recorder))
    await execution.execute()
    clock.time += 3600
    stored = await store.get_run(execution.run.id)
    assert stored is not None
    run = await (await Engine(options(clock, recorder), store).resume(stored, pipeline)).execute()
    assert states(run)["yes"] == "Success"
    (decided,) = await store.list_approvals(pending=False)
    assert (decided.decision, decided.reason) == ("approve", "timed out")


async def test_an_idempotency_key_returns_the_existing_run(
    store: Store, clock: FakeClock, recorder: Recorder, tmp_path: Path
) -> None:
    pipeline = chain(tmp_path)
    first, created = await start_run(
        store, pipeline, None, SOURCE, options(clock, recorder), idempotency_key="k"
    )
    await first.execute()
    second, again = await start_run(
        store, pipeline, None, SOURCE, options(clock, recorder), idempotency_key="k"
    )
    assert (created, again) == (True, False)
    assert second.run.id == first.run.id
    assert second.run.state is State.SUCCESS


async def test_step_output_is_stored_in_chunks_in_order(
    store: Store, clock: FakeClock, recorder: Recorder
) -> None:
    pipeline = Pipeline("p", nodes=(shell("loud", "seq 1 2500"),))
    execution, _ = await start_run(store, pipeline, None, SOURCE, options(clock, recorder))
    run = await execution.execute()
    chunks = await store.read_logs(run.id, limit=100)
    lines = [line for chunk in chunks for line in chunk.lines]
    assert lines == [str(i) for i in range(1, 2501)]
    assert len(chunks) >= 3
    assert {(c.node, c.step) for c in chunks} == {("loud", "s")}


def _node_row(db: str, run_id: str, key: str) -> tuple[str, int]:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT state, attempt FROM nodes"
            " WHERE run_key = (SELECT run_key FROM runs WHERE id = ?) AND key = ?",
            (run_id, key),
        ).fetchone()
    return str(row[0]), int(row[1])


async def test_each_attempt_is_committed_running_before_it_acts(
    tmp_path: Path, clock: FakeClock, recorder: Recorder
) -> None:
    """What the store says while the step's code runs: its node Running, at the attempt
    that is running, the retry included (a crash then re-runs it at a higher attempt)."""
    db = str(tmp_path / "w.db")
    store = await open_store(f"sqlite:///{db}")
    run_id: list[str] = []
    seen: list[tuple[str, int]] = []

    def look() -> None:
        seen.append(_node_row(db, run_id[0], "flaky"))
        if len(seen) == 1:
            raise RuntimeError("first attempt fails")

    from xene.ir import RetryPolicy

    flaky = Node(
        "flaky",
        TASK,
        steps=(Step("look", kind="python", fn=look),),
        join="all",
        retry=RetryPolicy(max_attempts=2, initial_delay_ms=1),
    )
    pipeline = Pipeline("p", nodes=(flaky,))
    execution, _ = await start_run(store, pipeline, None, SOURCE, options(clock, recorder))
    run_id.append(execution.run.id)
    run = await execution.execute()
    await store.close()
    assert run.state is State.SUCCESS
    assert seen == [("Running", 1), ("Running", 2)]


async def test_nodes_that_start_together_are_committed_in_one_batch(
    tmp_path: Path, clock: FakeClock, recorder: Recorder
) -> None:
    commits: list[list[str]] = []
    store = await open_store(f"sqlite:///{tmp_path}/w.db")
    real_commit = store.commit

    async def counting(run_id: str, batch: Batch) -> None:
        commits.append([n.key for n in batch.nodes if n.state == "Running"])
        await real_commit(run_id, batch)

    store.commit = counting  # type: ignore[method-assign]
    nodes = tuple(shell(f"n{i}", "true") for i in range(20))
    pipeline = Pipeline("p", nodes=nodes, max_concurrency=20)
    execution, _ = await start_run(store, pipeline, None, SOURCE, options(clock, recorder))
    await execution.execute()
    await store.close()
    started = [batch for batch in commits if batch]
    assert sorted(started[0]) == sorted(f"n{i}" for i in range(20))


async def test_a_running_steps_process_group_is_committed(
    store: Store, clock: FakeClock, recorder: Recorder, tmp_path: Path
) -> None:
    import asyncio

    from xene.executors.processes import ProcessRef, ref_of

    gate = tmp_path / "gate"
    pidfile = tmp_path / "pid"
    pipeline = Pipeline(
        "p", nodes=(shell("a", f"echo $$ > {pidfile}; while [ ! -f {gate} ]; do sleep 0.01; done"),)
    )
    execution, _ = await start_run(store, pipeline, None, SOURCE, options(clock, recorder))
    running = asyncio.ensure_future(execution.execute())
    recorded: ProcessRef | None = None
    for _ in range(2000):  # bounded: the commit follows the spawn within a loop turn
        stored = await store.get_run(execution.run.id)
        steps = stored.record.nodes["a"].steps if stored and "a" in stored.record.nodes else []
        recorded = ProcessRef.parse(steps[0].process) if steps else None
        if recorded is not None and pidfile.exists() and pidfile.read_text().strip():
            break
        await asyncio.sleep(0.005)
    pid = int(pidfile.read_text())
    actual = ref_of(pid)
    gate.touch()
    await running
    assert recorded is not None
    assert recorded == actual
    assert recorded.pgid == pid


async def test_a_silent_step_keeps_its_runs_lease(
    tmp_path: Path, clock: FakeClock, recorder: Recorder
) -> None:
    """A step that prints nothing for longer than the lease: the loop renews the lease
    anyway (else another process would take the run over and run the step again)."""
    import time

    from xene.engine.options import LEASE_S

    db = str(tmp_path / "w.db")
    store = await open_store(f"sqlite:///{db}")
    run_id: list[str] = []

    def lease() -> float:
        with sqlite3.connect(db) as conn:
            (until,) = conn.execute(
                "SELECT lease_until FROM runs WHERE id = ?", (run_id[0],)
            ).fetchone()
        return float(until)

    def step_committed() -> bool:
        with sqlite3.connect(db) as conn:
            return (
                conn.execute("SELECT 1 FROM steps WHERE run_id = ?", run_id).fetchone() is not None
            )

    def silent() -> None:
        deadline = time.monotonic() + 30
        while not step_committed():  # the step's start is committed: nothing else to commit
            if time.monotonic() > deadline:
                raise AssertionError("the step's start was never committed")
            time.sleep(0.02)
        first = lease()
        clock.time += LEASE_S  # the lease ran out while the step said nothing
        while lease() <= first:  # the loop's next tick must renew it
            if time.monotonic() > deadline:
                raise AssertionError(f"the lease stayed at {first}")
            time.sleep(0.02)

    step = Node("quiet", TASK, steps=(Step("wait", kind="python", fn=silent),), join="all")
    execution, _ = await start_run(
        store, Pipeline("p", nodes=(step,)), None, SOURCE, options(clock, recorder)
    )
    run_id.append(execution.run.id)
    run = await execution.execute()
    await store.close()
    assert run.state is State.SUCCESS, run.error
