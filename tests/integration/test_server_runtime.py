"""The server's runtime without HTTP: applied workflows, queued runs, the built-in agent."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from xene.engine.clock import SystemClock
from xene.server.config import ServerConfig
from xene.server.runtime import Conflict, NotFound, Runtime
from xene.store import open_store
from xene.store.base import RunFilter

MANIFEST = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: demo}
spec:
  triggers:
    nightly: {type: cron, cronConfig: "0 2 * * *"}
  pipelines:
    build:
      trigger: nightly
      tasks:
        a: {steps: [{name: s, type: shell, cmd: "echo v=$XENE_RUN_ID >> $XENE_OUTPUT"}]}
        b: {dependencies: [a], steps: [{name: s, type: shell, cmd: "FLAKY"}]}
"""


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    """On the system clock: the nightly cron trigger does not fire during a test."""
    store = await open_store(f"sqlite:///{tmp_path}/x.db")
    made = Runtime(store, ServerConfig(poll_s=0.05, grace_s=1), clock=SystemClock())
    await made.start()
    yield made
    await made.stop(0.5)
    await store.close()


@pytest.fixture
async def fast_runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    """On a fake clock: a night passes at each sleep, so cron triggers fire at once."""
    store = await open_store(f"sqlite:///{tmp_path}/x.db")
    made = Runtime(store, ServerConfig(poll_s=0.05, grace_s=1), clock=FakeClock())
    await made.start()
    yield made
    await made.stop(0.5)
    await store.close()


async def final_state(runtime: Runtime, run_id: str) -> str:
    for _ in range(2000):
        stored = await runtime.store.get_run(run_id)
        assert stored is not None
        if stored.record.state.finished:
            return str(stored.record.state)
        await asyncio.sleep(0.01)
    raise AssertionError(f"run {run_id} never ended")


def manifest(command: str = "true") -> str:
    return MANIFEST.replace("FLAKY", command)


async def test_applying_twice_the_same_text_keeps_the_version(runtime: Runtime) -> None:
    first = await runtime.apply(manifest(), "demo.yaml")
    again = await runtime.apply(manifest(), "demo.yaml")
    changed = await runtime.apply(manifest("echo changed"), "demo.yaml")
    assert (first.workflow.version, first.changed) == (1, True)
    assert (again.workflow.version, again.changed) == (1, False)
    assert (changed.workflow.version, changed.changed) == (2, True)


async def test_a_triggered_run_is_queued_then_executed_by_the_agent(runtime: Runtime) -> None:
    await runtime.apply(manifest(), "demo.yaml")
    run_id, created = await runtime.trigger("demo", "build", {"x": 1})
    assert created
    assert await final_state(runtime, run_id) == "Success"


async def test_an_idempotency_key_queues_one_run(runtime: Runtime) -> None:
    await runtime.apply(manifest(), "demo.yaml")
    first = await runtime.trigger("demo", "build", None, idempotency_key="k")
    second = await runtime.trigger("demo", "build", None, idempotency_key="k")
    assert second == (first[0], False)


async def test_a_paused_pipeline_refuses_runs_until_resumed(runtime: Runtime) -> None:
    await runtime.apply(manifest(), "demo.yaml")
    await runtime.set_mode("demo", "build", "paused")
    with pytest.raises(Conflict, match="is paused"):
        await runtime.trigger("demo", "build")
    await runtime.set_mode("demo", "build", "active")
    assert (await runtime.trigger("demo", "build"))[1]


async def test_unknown_workflows_and_pipelines_are_not_found(runtime: Runtime) -> None:
    with pytest.raises(NotFound):
        await runtime.trigger("nope", "build")
    await runtime.apply(manifest(), "demo.yaml")
    with pytest.raises(NotFound, match="has no pipeline 'nope'; it has: build"):
        await runtime.trigger("demo", "nope")


async def test_a_failed_run_retried_reruns_only_what_failed(
    runtime: Runtime, tmp_path: Path
) -> None:
    marker = tmp_path / "fixed"
    await runtime.apply(manifest(f"test -f {marker}"), "demo.yaml")
    run_id, _ = await runtime.trigger("demo", "build")
    assert await final_state(runtime, run_id) == "Error"
    before = await runtime.store.get_run(run_id)
    assert before is not None
    marker.touch()
    await runtime.retry(run_id)
    assert await final_state(runtime, run_id) == "Success"
    after = await runtime.store.get_run(run_id)
    assert after is not None
    assert after.record.nodes["a"].output == before.record.nodes["a"].output
    assert after.record.nodes["a"].attempt == 1


async def test_cancelling_a_running_run_ends_it_cancelled(runtime: Runtime, tmp_path: Path) -> None:
    await runtime.apply(manifest(f"touch {tmp_path}/started; sleep 30"), "demo.yaml")
    run_id, _ = await runtime.trigger("demo", "build")
    for _ in range(2000):
        if (tmp_path / "started").exists():
            break
        await asyncio.sleep(0.01)
    else:
        pytest.fail(f"the step never started within 20 s: {tmp_path}/started was not made")
    await runtime.cancel(run_id)
    assert await final_state(runtime, run_id) == "Cancelled"


async def test_a_cron_trigger_queues_a_run_at_its_time(fast_runtime: Runtime) -> None:
    runtime = fast_runtime
    await runtime.apply(manifest(), "demo.yaml")
    for _ in range(2000):
        if await runtime.store.list_runs(RunFilter()):
            break
        await asyncio.sleep(0.01)
    runs = await runtime.store.list_runs(RunFilter())
    assert runs
    assert runs[-1].pipeline == "build"


async def test_a_workflow_applied_through_another_server_is_picked_up(
    runtime: Runtime, tmp_path: Path
) -> None:
    other = Runtime(runtime.store, ServerConfig(poll_s=0.05), clock=SystemClock())
    await other.apply(manifest(), "demo.yaml")
    assert await runtime.refresh()
    assert "demo" in runtime.workflows
    assert [t.name for t in runtime.desired_triggers()[0][1].triggers] == ["nightly"]
    await other.delete("demo")
    assert await runtime.refresh()
    assert runtime.workflows == {}


async def test_a_run_uses_the_version_applied_last_even_through_another_server(
    runtime: Runtime, tmp_path: Path
) -> None:
    other = Runtime(runtime.store, ServerConfig(poll_s=0.05), clock=SystemClock())
    await runtime.apply(manifest("echo one"), "demo.yaml")
    await other.apply(manifest(f"echo two > {tmp_path}/which"), "demo.yaml")
    run_id, _ = await runtime.trigger("demo", "build")
    assert await final_state(runtime, run_id) == "Success"
    assert (tmp_path / "which").read_text() == "two\n"


async def test_changes_of_runs_another_server_executes_reach_this_servers_events(
    runtime: Runtime, tmp_path: Path
) -> None:
    watcher = Runtime(runtime.store, ServerConfig(), clock=SystemClock())  # no agent: sees only
    events = watcher.hub.subscribe()
    seen: list[dict[str, object]] = []

    async def collect() -> None:
        async for change in events:
            seen.append(change)

    collecting = asyncio.create_task(collect())
    marker = tmp_path / "go"
    await runtime.apply(manifest(f"while [ ! -f {marker} ]; do sleep 0.02; done"), "demo.yaml")
    run_id, _ = await runtime.trigger("demo", "build")
    for _ in range(2000):
        await watcher.remote.poll()
        await asyncio.sleep(0.01)
        if ("b", "Running") in {(e.get("node"), e.get("state")) for e in seen}:
            break
    else:
        pytest.fail("the watcher saw no change of node b to Running within 20 s")
    marker.touch()
    assert await final_state(runtime, run_id) == "Success"
    await watcher.remote.poll()
    await asyncio.sleep(0)
    collecting.cancel()
    runs = [e["state"] for e in seen if e["type"] == "run" and e["run"] == run_id]
    nodes = {(e["node"], e["state"]) for e in seen if e["type"] == "node"}
    assert runs[-1] == "Success"
    assert {("a", "Success"), ("b", "Running"), ("b", "Success")} <= nodes
    assert await watcher.remote.poll() == 0  # the run has ended: it is forgotten


GATED = """\
name: gated
nodes:
  gate: {type: std::wait, config: {timeout_secs: 60, timeout_action: reject}}
  approved: {type: std::log, config: {message: approved}}
  refused: {type: std::log, config: {message: rejected on timeout}}
edges:
  - {from: gate, to: approved}
  - {from: gate.rejected, to: refused}
"""


async def test_an_approval_past_its_timeout_takes_its_action_and_the_run_goes_on(
    tmp_path: Path,
) -> None:
    store = await open_store(f"sqlite:///{tmp_path}/x.db")
    clock = FakeClock()
    runtime = Runtime(store, ServerConfig(poll_s=0.05), clock=clock)
    await runtime.apply(GATED, "gated.yaml")
    run_id, _ = await runtime.trigger("gated", "gated")
    await runtime.agent.run_until_idle()  # no background loops: the clock is fake
    suspended = await store.get_run(run_id)
    assert suspended is not None
    assert str(suspended.record.state) == "Suspended"
    assert await runtime.expire_approvals() == []  # not yet
    clock.time += 61
    (hook,) = await runtime.expire_approvals()
    await runtime.agent.run_until_idle()
    stored = await store.get_run(run_id)
    assert stored is not None
    assert str(stored.record.state) == "Success"
    assert str(stored.record.nodes["refused"].state) == "Success"
    (decided,) = await store.list_approvals(pending=False)
    assert (decided.hook_id, decided.decision, decided.reason) == (hook, "reject", "timed out")
    await store.close()


async def test_a_run_whose_process_on_this_host_died_is_taken_over_before_its_lease_ends(
    runtime: Runtime,
) -> None:
    """A killed `xene run` or peer server on this host: its runs are taken over within a
    poll, not after the lease (an hour here)."""
    import socket
    import subprocess

    from xene.store.base import NewRun, RunSource

    ended = subprocess.Popen(["true"])
    ended.wait()
    dead_owner = f"{socket.gethostname()}:{ended.pid}"
    now = runtime.clock.now()
    source = RunSource("demo.yaml", manifest(), "manifest", "demo", "build")
    new = NewRun("01ORPHAN", "demo", "build", None, source, now, dead_owner, now + 3600)
    await runtime.store.create_run(new)
    assert await final_state(runtime, "01ORPHAN") == "Success"


async def test_a_queued_run_whose_definition_no_longer_loads_ends_in_error_saying_why(
    runtime: Runtime,
) -> None:
    from xene.store.base import NewRun, RunSource

    now = runtime.clock.now()
    broken = RunSource("demo.yaml", "kind: Workflow\nspec: [", "manifest", "demo", "build")
    new = NewRun(
        "01BROKEN", "demo", "build", None, broken, now, "", 0.0, state="WaitingForExecutor"
    )
    await runtime.store.create_run(new)
    runtime.agent.wake()
    assert await final_state(runtime, "01BROKEN") == "Error"
    stored = await runtime.store.get_run("01BROKEN")
    assert stored is not None
    assert "cannot be recovered: its definition no longer loads" in (stored.record.error or "")
