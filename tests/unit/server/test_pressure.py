"""The queue bound: runs are admitted while fewer than the bound wait for an executor,
counted on the store at most every `COUNT_EVERY_S` and by this server in between."""

from __future__ import annotations

import pytest

from tests.conftest import FakeClock
from tests.store.factories import new_run, run_row
from xene.server import pressure
from xene.server.pressure import QueueBound, QueueFull
from xene.store.base import Batch
from xene.store.memory import MemoryStore


async def queued(store: MemoryStore, n: int) -> None:
    for _ in range(n):
        await store.create_run(new_run(state="WaitingForExecutor", owner="", lease_until=0.0))


async def test_runs_are_admitted_below_the_bound(clock: FakeClock) -> None:
    store = MemoryStore()
    await queued(store, 2)
    await QueueBound(store, 3, clock).admit()


async def test_a_full_queue_refuses_saying_how_full_and_how_to_raise_it(clock: FakeClock) -> None:
    store = MemoryStore()
    await queued(store, 3)
    with pytest.raises(QueueFull, match=r"3 runs wait .* bound is 3.*--max-queued N") as refused:
        await QueueBound(store, 3, clock).admit()
    assert (refused.value.queued, refused.value.limit) == (3, 3)


async def test_runs_admitted_since_the_last_count_are_counted(clock: FakeClock) -> None:
    bound = QueueBound(MemoryStore(), 2, clock)
    await bound.admit()
    await bound.admit()
    with pytest.raises(QueueFull):
        await bound.admit()


async def test_the_runs_of_one_delivery_are_admitted_together(clock: FakeClock) -> None:
    bound = QueueBound(MemoryStore(), 3, clock)
    await bound.admit(3)
    with pytest.raises(QueueFull):
        await bound.admit()


async def test_the_store_is_counted_again_once_the_count_is_old(clock: FakeClock) -> None:
    store = MemoryStore()
    bound = QueueBound(store, 1, clock)
    await bound.admit()  # admitted, but never created: the next count forgets it
    clock.time += pressure.COUNT_EVERY_S
    await bound.admit()


async def test_within_the_count_window_the_store_is_not_asked_again(clock: FakeClock) -> None:
    store = MemoryStore()
    run_id, _ = await store.create_run(new_run(state="WaitingForExecutor"))
    bound = QueueBound(store, 1, clock)
    with pytest.raises(QueueFull):
        await bound.admit()
    await store.commit(run_id, Batch(run=run_row(run_id, "Running")))
    with pytest.raises(QueueFull):  # the run has started, but the count is recent
        await bound.admit()
    clock.time += pressure.COUNT_EVERY_S
    await bound.admit()


async def test_a_bound_of_zero_admits_everything(clock: FakeClock) -> None:
    store = MemoryStore()
    await queued(store, 5)
    await QueueBound(store, 0, clock).admit(100)
