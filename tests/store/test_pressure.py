"""Contract: the queue's length and the fires skipped for it (`PressureStore`), on every
backend."""

from __future__ import annotations

import pytest

from tests.store.factories import new_run, run_row
from xene.store.base import Batch, ServerStore, Store
from xene.store.memory import MemoryStore
from xene.store.pressure import SkippedFire
from xene.store.sql import SqlStore

AT = 1_700_000_000.0
FULL = "the queue holds 1000 runs (max_queued 1000)"


@pytest.fixture
def server(store: Store) -> ServerStore:
    assert isinstance(store, MemoryStore | SqlStore)
    return store


async def test_an_empty_store_has_no_queued_run(server: ServerStore) -> None:
    assert await server.count_queued() == 0


async def test_runs_waiting_for_an_executor_are_counted(server: ServerStore) -> None:
    for _ in range(3):
        await server.create_run(new_run(state="WaitingForExecutor", owner="", lease_until=0.0))
    assert await server.count_queued() == 3


async def test_runs_that_started_or_ended_are_not_counted(server: ServerStore) -> None:
    await server.create_run(new_run(state="WaitingForExecutor"))
    for state in ("Running", "Success"):
        run_id, _ = await server.create_run(new_run(state="WaitingForExecutor"))
        await server.commit(run_id, Batch(run=run_row(run_id, state)))
    assert await server.count_queued() == 1


async def test_a_skipped_fire_is_kept_with_its_reason(server: ServerStore) -> None:
    await server.record_skipped_fire("ci", "nightly", FULL, AT)
    assert await server.skipped_fires("ci") == [SkippedFire("ci", "nightly", AT, FULL, 1)]


async def test_a_trigger_keeps_its_latest_skip_and_counts_them(server: ServerStore) -> None:
    await server.record_skipped_fire("ci", "nightly", "first", AT)
    await server.record_skipped_fire("ci", "nightly", FULL, AT + 60)
    assert await server.skipped_fires("ci") == [SkippedFire("ci", "nightly", AT + 60, FULL, 2)]


async def test_skipped_fires_are_listed_per_workflow_by_trigger(server: ServerStore) -> None:
    await server.record_skipped_fire("ci", "watch", FULL, AT)
    await server.record_skipped_fire("other", "nightly", FULL, AT)
    await server.record_skipped_fire("ci", "nightly", FULL, AT)
    assert [f.trigger for f in await server.skipped_fires("ci")] == ["nightly", "watch"]
