"""An execution whose run another executor has claimed since is fenced: its next commit
is refused, its running steps are stopped at once and it writes nothing more."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from tests.conftest import FakeClock, Recorder
from xene.core.states import State
from xene.engine.engine import Engine
from xene.engine.options import EngineOptions
from xene.ir import TASK, Node, Pipeline, Step
from xene.store import open_store
from xene.store.base import Fenced, NewRun, RunSource, ServerStore, StoredRun
from xene.store.memory import MemoryStore
from xene.store.sql import SqlStore

LEASE_S = 15.0
SOURCE = RunSource("", "", "python", "wf", "p")


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Set up synchronously: PostgreSQL's template database migrates in its own loop."""
    if request.param == "memory":
        return "memory://"
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/x.db"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[ServerStore]:
    opened = await open_store(store_url)
    assert isinstance(opened, MemoryStore | SqlStore)
    yield opened
    await opened.close()


def pipeline(work: Path) -> Pipeline:
    """`slow` sleeps for 30 s in a process group of its own (whose id it writes down);
    `quick` ends once `GO` exists."""
    slow = f"echo $$ > {work}/slow.pid; sleep 30"
    quick = f"while [ ! -e {work}/GO ]; do sleep 0.02; done; echo quick is done"
    return Pipeline(
        "p",
        nodes=(
            Node("slow", TASK, steps=(Step("s", cmd=slow),)),
            Node("quick", TASK, steps=(Step("s", cmd=quick),)),
        ),
    )


async def until(condition: Callable[[], bool], timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the condition was never met"
        await asyncio.sleep(0.02)


def group_gone(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return True
    return False


async def claimed(store: ServerStore, clock: FakeClock) -> StoredRun:
    """A queued run of the pipeline, claimed by this process (epoch 1)."""
    now = clock.now()
    await store.create_run(NewRun.of("01HXFENCED000000000000001", SOURCE, None, now))
    [stored] = await store.claim_stored_runs("me:1", 1, now + LEASE_S, now)
    assert stored.epoch == 1
    return stored


async def test_a_recovered_execution_claimed_by_another_is_fenced_and_stops_its_steps(
    store: ServerStore, tmp_path: Path, clock: FakeClock, recorder: Recorder
) -> None:
    options = EngineOptions(clock=clock, listeners=(recorder,), grace_s=1.0, lease_s=LEASE_S)
    stored = await claimed(store, clock)
    run_id = stored.record.id
    execution = await Engine(options, store).recover(stored, pipeline(tmp_path))
    executing = asyncio.ensure_future(execution.execute())
    pid_file = tmp_path / "slow.pid"
    await until(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
    pgid = int(pid_file.read_text())
    # The other executor's clock is past the lease (this one's does not move: it renews
    # nothing meanwhile); its claim starts epoch 2.
    later = clock.now() + LEASE_S + 1
    assert await store.claim_run(run_id, "other-host:9", later + LEASE_S, later)
    (tmp_path / "GO").touch()  # `quick` ends: its completion is the next commit
    with pytest.raises(Fenced, match=run_id):
        await asyncio.wait_for(executing, 30)
    assert execution.fenced
    await until(lambda: group_gone(pgid))
    after = await store.get_run(run_id)
    assert after is not None
    assert (after.owner, after.epoch) == ("other-host:9", 2)
    assert after.record.state is State.RUNNING
    assert {key: node.state for key, node in after.record.nodes.items()} == {
        "slow": State.RUNNING,
        "quick": State.RUNNING,
    }
    logged = [line for chunk in await store.read_logs(run_id) for line in chunk.lines]
    assert "quick is done" not in logged


async def test_a_fenced_execution_cancelled_from_outside_stops_without_raising(
    store: ServerStore, tmp_path: Path, clock: FakeClock, recorder: Recorder
) -> None:
    """A cancel that meets the fence (the server's watcher of cancel requests) stops the
    steps; the fence is `execute`'s to raise."""
    options = EngineOptions(clock=clock, listeners=(recorder,), grace_s=1.0, lease_s=LEASE_S)
    stored = await claimed(store, clock)
    execution = await Engine(options, store).recover(stored, pipeline(tmp_path))
    executing = asyncio.ensure_future(execution.execute())
    pid_file = tmp_path / "slow.pid"
    await until(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
    later = clock.now() + LEASE_S + 1
    assert await store.claim_run(stored.record.id, "other-host:9", later + LEASE_S, later)
    await execution.cancel("cancelled on request")
    with pytest.raises(Fenced):
        await asyncio.wait_for(executing, 30)
    await until(lambda: group_gone(int(pid_file.read_text())))
    after = await store.get_run(stored.record.id)
    assert after is not None
    assert after.record.state is State.RUNNING  # not Cancelled: that was not ours to write


TAKEN_OVER = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: demo}
spec:
  pipelines:
    build:
      tasks:
        slow: {steps: [{name: s, type: shell, cmd: "echo $$ > WORK/slow.pid; sleep 30"}]}
        quick:
          steps:
            - {name: s, type: shell, cmd: "while [ ! -e WORK/GO ]; do sleep 0.02; done"}
"""


async def test_the_built_in_agent_drops_a_run_taken_over_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    from xene.engine.clock import SystemClock
    from xene.server.config import ServerConfig
    from xene.server.runtime import Runtime

    store = await open_store(f"sqlite:///{tmp_path}/x.db")
    runtime = Runtime(store, ServerConfig(poll_s=0.05, grace_s=1), clock=SystemClock())
    await runtime.start()
    try:
        await runtime.apply(TAKEN_OVER.replace("WORK", str(tmp_path)), "demo.yaml")
        run_id, _ = await runtime.trigger("demo", "build")
        pid_file = tmp_path / "slow.pid"
        await until(lambda: pid_file.exists() and pid_file.read_text().strip() != "")
        later = time.time() + 1000  # another server, whose clock says the lease ended
        assert await store.claim_run(run_id, "other-host:9", later + LEASE_S, later)
        (tmp_path / "GO").touch()
        await until(lambda: "was taken over: its lease moved on" in caplog.text)
        await until(lambda: run_id not in runtime.agent.running)
        await until(lambda: group_gone(int(pid_file.read_text())))
        after = await store.get_run(run_id)
        assert after is not None
        assert (after.owner, after.epoch, after.record.state) == ("other-host:9", 2, State.RUNNING)
    finally:
        await runtime.stop(0.5)
        await store.close()


async def test_xene_run_taken_over_stops_its_steps_and_says_why(tmp_path: Path) -> None:
    import subprocess
    import sys

    flow = tmp_path / "demo.yaml"
    flow.write_text(TAKEN_OVER.replace("WORK", str(tmp_path)))
    url = f"sqlite:///{tmp_path}/runs.db"
    proc = subprocess.Popen(
        [sys.executable, "-m", "xene.cli.main", "run", str(flow), "--store", url, "--quiet"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        pid_file = tmp_path / "slow.pid"
        await until(lambda: pid_file.exists() and pid_file.read_text().strip() != "", 60)
        store = await open_store(url)
        try:
            [summary] = await store.unfinished_runs()
            later = time.time() + 1000  # another process, whose clock says the lease ended
            assert await store.claim_run(summary.id, "other-host:9", later + LEASE_S, later)
            (tmp_path / "GO").touch()
            _, err = await asyncio.to_thread(proc.communicate, timeout=60)
            after = await store.get_run(summary.id)
        finally:
            await store.close()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 1
    assert f"run {summary.id} was taken over by another process" in err
    assert "Traceback" not in err, err
    await until(lambda: group_gone(int(pid_file.read_text())))
    assert after is not None
    assert (after.owner, after.epoch, after.record.state) == ("other-host:9", 2, State.RUNNING)
