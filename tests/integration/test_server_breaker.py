"""A served pipeline's circuit breaker: runs that fail trip it, it says why (the store,
the log), and a resume re-arms it so that only runs from then on count."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from xene.engine.clock import SystemClock
from xene.server.config import ServerConfig
from xene.server.runtime import Conflict, Runtime
from xene.store import open_store

FLOW = """\
name: flaky
nodes:
  work: {type: std::shell, config: {command: "test -f MARKER"}}
settings:
  circuit_breaker_threshold: 1
  circuit_breaker_window: 2
"""
WHY = "2 of its last 2 runs failed (circuit_breaker_threshold 1)"


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    store = await open_store(f"sqlite:///{tmp_path}/x.db")
    made = Runtime(store, ServerConfig(poll_s=0.05, grace_s=1), clock=SystemClock())
    await made.start()
    yield made
    await made.stop(0.5)
    await store.close()


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    """Runs succeed while this file exists."""
    return tmp_path / "healthy"


async def run_to_the_end(runtime: Runtime) -> None:
    """Trigger one run and wait until the agent is done with it (breaker check included)."""
    await runtime.trigger("flaky", "flaky")
    for _ in range(3000):
        await asyncio.sleep(0.01)
        if not runtime.agent.tasks and not runtime.agent.running:
            counts = await runtime.store.count_runs()
            if set(counts) <= {"Success", "Error"}:
                return
    raise AssertionError("the run never ended")


async def mode(runtime: Runtime) -> str:
    return (await runtime.store.pipeline_modes("flaky")).get("flaky", "active")


async def reason(runtime: Runtime) -> str:
    state = (await runtime.store.breaker_states("flaky")).get("flaky")
    return state.reason if state else ""


@pytest.fixture
async def applied(runtime: Runtime, marker: Path) -> Runtime:
    await runtime.apply(FLOW.replace("MARKER", str(marker)), "flaky.yaml")
    return runtime


async def test_failing_runs_trip_the_breaker_which_pauses_the_pipeline(applied: Runtime) -> None:
    await run_to_the_end(applied)
    assert await mode(applied) == "active"  # one failure of a window of two: 0.5 < 1
    await run_to_the_end(applied)
    assert (await mode(applied), await reason(applied)) == ("paused", WHY)


async def test_a_tripped_pipeline_refuses_runs_saying_why(applied: Runtime) -> None:
    await run_to_the_end(applied)
    await run_to_the_end(applied)
    with pytest.raises(Conflict) as refused:
        await applied.trigger("flaky", "flaky")
    assert str(refused.value) == (
        f"pipeline flaky/flaky is paused by its circuit breaker ({WHY}): resume it first"
    )


async def test_a_trip_is_logged_with_how_to_re_arm(
    applied: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="xene.server"):
        await run_to_the_end(applied)
        await run_to_the_end(applied)
    assert f"pipeline flaky/flaky paused itself: {WHY}; " in caplog.text
    assert "`xene pipeline resume flaky flaky` re-arms it" in caplog.text


async def test_runs_that_succeed_do_not_trip_it(applied: Runtime, marker: Path) -> None:
    marker.touch()
    for _ in range(3):
        await run_to_the_end(applied)
    assert (await mode(applied), await reason(applied)) == ("active", "")


async def test_resume_re_arms_it_counting_only_later_runs(applied: Runtime) -> None:
    await run_to_the_end(applied)
    await run_to_the_end(applied)
    await applied.set_mode("flaky", "flaky", "active")
    assert (await mode(applied), await reason(applied)) == ("active", "")
    await run_to_the_end(applied)
    assert await mode(applied) == "active"  # the two failures before the resume are gone
    await run_to_the_end(applied)
    assert (await mode(applied), await reason(applied)) == ("paused", WHY)


async def test_a_pipeline_without_a_breaker_never_pauses_itself(runtime: Runtime) -> None:
    await runtime.apply(FLOW.split("settings:", maxsplit=1)[0], "flaky.yaml")
    for _ in range(3):
        await run_to_the_end(runtime)
    assert await mode(runtime) == "active"
