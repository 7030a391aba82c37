"""The cron trigger loop on a fake clock: fires on schedule, once per instant."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from tests.conftest import FakeClock
from xene.ir import Trigger
from xene.store import open_store
from xene.store.base import Store
from xene.triggers.base import TriggerEvent
from xene.triggers.cron import CronTrigger, Schedule

START = 1_700_000_000.0  # 2023-11-14T22:13:20Z, FakeClock's start


class JumpyClock(FakeClock):
    """A clock whose first sleep overshoots by `jump` seconds (the machine slept)."""

    def __init__(self, jump: float) -> None:
        super().__init__()
        self.jump = jump

    async def sleep(self, seconds: float) -> None:
        self.time += self.jump
        self.jump = 0.0
        await super().sleep(seconds)


def cron(schedule: str = "*/5 * * * *", **params: Any) -> Trigger:
    return Trigger("tick", "cron", {"cron": schedule, **params})


@pytest.fixture
async def store() -> Store:
    return await open_store("memory://")


async def run_until(
    source: CronTrigger, done: Callable[[list[TriggerEvent]], bool]
) -> list[TriggerEvent]:
    """Run a trigger until `done(events)`; fail rather than hang if it never is."""
    events: list[TriggerEvent] = []
    finished = asyncio.Event()

    async def emit(event: TriggerEvent) -> None:
        events.append(event)
        if done(events):
            finished.set()
            await asyncio.Event().wait()  # hold the loop here until cancelled

    task = asyncio.create_task(source.run(emit))
    try:
        await asyncio.wait_for(finished.wait(), timeout=5)
    finally:
        task.cancel()
        await asyncio.wait([task])
    return events


def count(n: int) -> Callable[[list[TriggerEvent]], bool]:
    return lambda events: len(events) >= n


def scheduled(events: list[TriggerEvent]) -> list[str]:
    return [event.input["scheduled_at"] for event in events]


async def test_fires_at_each_scheduled_time(clock: FakeClock, store: Store) -> None:
    events = await run_until(CronTrigger("wf", cron(), clock, store), count(3))
    assert scheduled(events) == [
        "2023-11-14T22:15:00Z",
        "2023-11-14T22:20:00Z",
        "2023-11-14T22:25:00Z",
    ]
    assert clock.slept == [100.0, 300.0, 300.0]


async def test_never_fires_at_registration_even_on_a_scheduled_instant(
    clock: FakeClock, store: Store
) -> None:
    clock.time = 1_700_000_100.0  # 22:15:00, a */5 instant
    events = await run_until(CronTrigger("wf", cron(), clock, store), count(1))
    assert scheduled(events) == ["2023-11-14T22:20:00Z"]
    assert clock.slept == [300.0]


async def test_an_event_names_its_instant_and_carries_a_unique_key(
    clock: FakeClock, store: Store
) -> None:
    [event] = await run_until(CronTrigger("wf", cron(), clock, store), count(1))
    assert event == TriggerEvent(
        workflow="wf",
        trigger="tick",
        input={
            "trigger": "tick",
            "scheduled_at": "2023-11-14T22:15:00Z",
            "fired_at": "2023-11-14T22:15:00Z",
        },
        idempotency_key="cron:wf/tick/2023-11-14T22:15:00Z",
        fired_at=1_700_000_100.0,
    )


async def test_two_servers_on_one_store_fire_each_instant_once(store: Store) -> None:
    events: list[TriggerEvent] = []

    async def emit(event: TriggerEvent) -> None:
        events.append(event)

    triggers = [CronTrigger("wf", cron(), FakeClock(), store) for _ in range(2)]
    tasks = [asyncio.create_task(t.run(emit)) for t in triggers]
    third = 1_700_000_700.0  # 22:25:00
    for _ in range(1000):
        if all(t.last_fire == third for t in triggers):
            break
        await asyncio.sleep(0)
    for task in tasks:
        task.cancel()
    await asyncio.wait(tasks)
    assert sorted(scheduled(events)) == [
        "2023-11-14T22:15:00Z",
        "2023-11-14T22:20:00Z",
        "2023-11-14T22:25:00Z",
    ]


async def test_missed_fires_are_skipped_after_downtime(store: Store) -> None:
    clock = JumpyClock(jump=3600 + 130)  # wakes at 23:17:10, the 23:15 fire 130 s late
    events = await run_until(CronTrigger("wf", cron(), clock, store), count(1))
    assert scheduled(events) == ["2023-11-14T23:20:00Z"]


async def test_a_fire_slightly_late_still_fires(store: Store) -> None:
    clock = JumpyClock(jump=10)  # wakes at 22:15:10
    [event] = await run_until(CronTrigger("wf", cron(), clock, store), count(1))
    assert event.input["scheduled_at"] == "2023-11-14T22:15:00Z"
    assert event.input["fired_at"] == "2023-11-14T22:15:10Z"


async def test_after_downtime_only_the_latest_on_time_fire_runs(store: Store) -> None:
    clock = JumpyClock(jump=3600)  # wakes at 23:15:00 exactly
    events = await run_until(CronTrigger("wf", cron(), clock, store), count(2))
    assert scheduled(events) == ["2023-11-14T23:15:00Z", "2023-11-14T23:20:00Z"]


async def test_catchup_fires_every_missed_instant_oldest_first(store: Store) -> None:
    clock = JumpyClock(jump=3600 + 130)
    source = CronTrigger("wf", cron(catchup=True), clock, store)
    events = await run_until(source, count(14))
    expected = [f"2023-11-14T22:{m}:00Z" for m in (15, 20, 25, 30, 35, 40, 45, 50, 55)]
    expected += [f"2023-11-14T23:{m:02}:00Z" for m in (0, 5, 10, 15, 20)]
    assert scheduled(events) == expected
    assert len({event.idempotency_key for event in events}) == 14


async def test_catchup_from_the_last_known_fire_runs_missed_ones_first(
    clock: FakeClock, store: Store
) -> None:
    source = CronTrigger("wf", cron(), clock, store, catchup=True, last_fire=START - 800)
    events = await run_until(source, count(4))
    assert scheduled(events) == [
        "2023-11-14T22:05:00Z",
        "2023-11-14T22:10:00Z",
        "2023-11-14T22:15:00Z",
        "2023-11-14T22:20:00Z",
    ]
    assert clock.slept == [100.0, 300.0]


async def test_catchup_skips_instants_another_server_already_fired(
    clock: FakeClock, store: Store
) -> None:
    assert await store.record_fire("wf/tick", "2023-11-14T22:10:00Z", START)
    source = CronTrigger("wf", cron(catchup=True), clock, store, last_fire=START - 800)
    events = await run_until(source, count(2))
    assert scheduled(events) == ["2023-11-14T22:05:00Z", "2023-11-14T22:15:00Z"]


async def test_without_catchup_a_known_last_fire_does_not_bring_back_old_fires(
    clock: FakeClock, store: Store
) -> None:
    source = CronTrigger("wf", cron(), clock, store, last_fire=START - 3600)
    events = await run_until(source, count(1))
    assert scheduled(events) == ["2023-11-14T22:15:00Z"]


async def test_every_and_a_timezone(clock: FakeClock, store: Store) -> None:
    every = CronTrigger("wf", cron("@every 3600s"), clock, store)
    assert scheduled(await run_until(every, count(1))) == ["2023-11-14T23:00:00Z"]
    paris = CronTrigger("wf", cron("0 9 * * *", timezone="Europe/Paris"), clock, store)
    assert scheduled(await run_until(paris, count(1))) == ["2023-11-15T08:00:00Z"]


def test_schedule_reads_the_trigger_params() -> None:
    trigger = cron("0 9 * * *", timezone="Europe/Paris", catchup=True)
    assert Schedule.of(trigger) == Schedule("0 9 * * *", "Europe/Paris", catchup=True)
    assert Schedule.of(cron()) == Schedule("*/5 * * * *")


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({}, "has no schedule"),
        ({"cron": "*/5 * * * *", "timezone": "Nowhere/Here"}, "unknown timezone"),
        ({"cron": "*/5 * * * *", "timezone": 1}, "timezone must be a name"),
        ({"cron": "*/5 * * * *", "catchup": "yes"}, "catchup must be true or false"),
        ({"cron": "not a schedule"}, "not valid"),
    ],
)
def test_an_unusable_cron_trigger_is_refused_when_built(
    clock: FakeClock, store: Store, params: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        CronTrigger("wf", Trigger("tick", "cron", params), clock, store)


async def test_catchup_after_a_restart_starts_from_the_last_fire_the_store_recorded(
    clock: FakeClock, store: Store
) -> None:
    """A new server (no `last_fire` given) reads it from the store: downtime is caught up."""
    await store.record_fire("wf/tick", "2023-11-14T22:00:00Z", START - 800)
    source = CronTrigger("wf", cron(catchup=True), clock, store)
    events = await run_until(source, count(3))
    assert scheduled(events) == [
        "2023-11-14T22:05:00Z",
        "2023-11-14T22:10:00Z",
        "2023-11-14T22:15:00Z",
    ]
