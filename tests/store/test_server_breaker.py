"""Contract: circuit breakers, kept beside pipeline modes (`ServerStore`), on every backend."""

from __future__ import annotations

import pytest

from tests.store.factories import new_run, run_row
from xene.store.base import Batch, BreakerState, ServerStore, Store
from xene.store.memory import MemoryStore
from xene.store.sql import SqlStore

AT = 1_700_000_000.0
WHY = "5 of its last 10 runs failed (circuit_breaker_threshold 0.5)"


@pytest.fixture
def server(store: Store) -> ServerStore:
    assert isinstance(store, MemoryStore | SqlStore)
    return store


async def ended(server: ServerStore, state: str, *, created_at: float = AT, **changes: str) -> str:
    run_id, _ = await server.create_run(new_run(created_at=created_at, **changes))
    await server.commit(run_id, Batch(run=run_row(run_id, state, ended_at=created_at + 1)))
    return run_id


# -- tripping ------------------------------------------------------------------------------
async def test_tripping_pauses_an_active_pipeline_and_says_why(server: ServerStore) -> None:
    assert await server.trip_breaker("ci", "build", WHY, AT) is True
    assert await server.pipeline_modes("ci") == {"build": "paused"}
    assert await server.breaker_states("ci") == {"build": BreakerState(WHY, AT, 0.0)}


async def test_a_pipeline_paused_by_hand_does_not_trip(server: ServerStore) -> None:
    await server.set_pipeline_mode("ci", "build", "stopped")
    assert await server.trip_breaker("ci", "build", WHY, AT) is False
    assert await server.pipeline_modes("ci") == {"build": "stopped"}
    assert await server.breaker_states("ci") == {"build": BreakerState()}


async def test_a_tripped_pipeline_trips_once(server: ServerStore) -> None:
    assert await server.trip_breaker("ci", "build", WHY, AT) is True
    assert await server.trip_breaker("ci", "build", "again", AT + 5) is False
    assert (await server.breaker_states("ci"))["build"].reason == WHY


async def test_pausing_by_hand_keeps_the_reason_a_breaker_gave(server: ServerStore) -> None:
    await server.trip_breaker("ci", "build", WHY, AT)
    await server.set_pipeline_mode("ci", "build", "stopped")
    assert (await server.breaker_states("ci"))["build"].reason == WHY


# -- resuming ------------------------------------------------------------------------------
async def test_resuming_re_arms_the_breaker_from_that_time(server: ServerStore) -> None:
    await server.trip_breaker("ci", "build", WHY, AT)
    await server.resume_pipeline("ci", "build", AT + 60)
    assert await server.pipeline_modes("ci") == {"build": "active"}
    assert await server.breaker_states("ci") == {"build": BreakerState(armed_at=AT + 60)}


async def test_a_re_armed_pipeline_trips_again(server: ServerStore) -> None:
    await server.resume_pipeline("ci", "build", AT)
    assert await server.trip_breaker("ci", "build", WHY, AT + 5) is True
    assert await server.breaker_states("ci") == {"build": BreakerState(WHY, AT + 5, AT)}


async def test_breaker_states_are_the_workflows_own(server: ServerStore) -> None:
    await server.trip_breaker("ci", "build", WHY, AT)
    await server.resume_pipeline("cd", "deploy", AT)
    assert list(await server.breaker_states("ci")) == ["build"]
    assert await server.breaker_states("none") == {}


async def test_deleting_a_workflow_forgets_its_breakers(server: ServerStore) -> None:
    await server.apply_workflow("ci", "x: 1\n", "manifest", "ci.yaml", AT)
    await server.trip_breaker("ci", "build", WHY, AT)
    await server.delete_workflow("ci")
    assert await server.breaker_states("ci") == {}
    await server.set_pipeline_mode("ci", "build", "paused")
    assert await server.breaker_states("ci") == {"build": BreakerState()}


# -- recent outcomes -----------------------------------------------------------------------
async def test_recent_outcomes_are_final_states_newest_first(server: ServerStore) -> None:
    await ended(server, "Success")
    await ended(server, "Error")
    await ended(server, "ErrorConfiguring")
    assert await server.recent_outcomes("ci", "build", 0.0, 10) == [
        "ErrorConfiguring",
        "Error",
        "Success",
    ]


async def test_recent_outcomes_leave_out_cancelled_and_unfinished_runs(
    server: ServerStore,
) -> None:
    await ended(server, "Error")
    await ended(server, "Cancelled")
    await server.create_run(new_run())
    assert await server.recent_outcomes("ci", "build", 0.0, 10) == ["Error"]


async def test_recent_outcomes_are_limited_and_counted_from_since(server: ServerStore) -> None:
    await ended(server, "Error", created_at=AT)
    await ended(server, "Success", created_at=AT + 10)
    await ended(server, "Error", created_at=AT + 20)
    await ended(server, "Success", created_at=AT + 30)
    assert await server.recent_outcomes("ci", "build", AT + 10, 2) == ["Success", "Error"]
    assert await server.recent_outcomes("ci", "build", AT + 10, 10) == [
        "Success",
        "Error",
        "Success",
    ]


async def test_recent_outcomes_are_the_pipelines_own(server: ServerStore) -> None:
    await ended(server, "Error", pipeline="test")
    await ended(server, "Error", workflow="cd")
    await ended(server, "Success")
    assert await server.recent_outcomes("ci", "build", 0.0, 10) == ["Success"]
