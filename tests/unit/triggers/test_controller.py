"""The trigger controller converges running triggers to the applied workflows."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FakeClock
from xene.ir import Node, Pipeline, RetryPolicy, Trigger, Workflow
from xene.store import open_store
from xene.triggers.base import Emit, TriggerEvent
from xene.triggers.controller import (
    Reconciled,
    TriggerController,
    check_triggers,
    desired_triggers,
    source_factory,
)
from xene.triggers.cron import CronTrigger
from xene.triggers.files import FileTrigger

NO_JITTER = RetryPolicy(max_attempts=100, initial_delay_ms=1000, max_delay_ms=8000, jitter=False)


class FakeSource:
    """Runs until cancelled; fails its first `failures` runs; records what happens."""

    def __init__(self, workflow: str, trigger: Trigger, failures: int = 0) -> None:
        self.key = (workflow, trigger.name)
        self.trigger = trigger
        self.failures = failures
        self.runs = 0
        self.cancelled = False

    @property
    def name(self) -> str:
        return "/".join(self.key)

    async def run(self, emit: Emit) -> None:
        self.runs += 1
        if self.runs <= self.failures:
            raise RuntimeError(f"boom {self.runs}")
        await emit(TriggerEvent(self.key[0], self.key[1], {"run": self.runs}))
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            self.cancelled = True
            raise


class Factory:
    """Builds FakeSources and keeps every one it built."""

    def __init__(self, failures: int = 0) -> None:
        self.built: list[FakeSource] = []
        self.failures = failures

    def __call__(self, workflow: str, trigger: Trigger) -> FakeSource:
        source = FakeSource(workflow, trigger, self.failures)
        self.built.append(source)
        return source

    def live(self) -> dict[tuple[str, str], FakeSource]:
        return {s.key: s for s in self.built if s.runs and not s.cancelled}


def cron(schedule: str = "*/5 * * * *", **params: Any) -> Trigger:
    """A cron trigger; `wf` gives it its name."""
    return Trigger("", "cron", {"cron": schedule, **params})


def wf(name: str = "wf", **triggers: Trigger) -> tuple[str, Workflow]:
    """A workflow whose one pipeline is started by each of `triggers` (named by key)."""
    named = tuple(Trigger(key, t.type, t.params, t.enabled) for key, t in triggers.items())
    pipeline = Pipeline("p", nodes=(Node("n", "std::log"),), triggers=tuple(triggers))
    return name, Workflow(name, pipelines=(pipeline,), triggers=named)


async def settle(condition: Callable[[], bool] = lambda: False, rounds: int = 200) -> None:
    """Let tasks run until `condition()` holds (or a bounded number of rounds pass)."""
    for _ in range(rounds):
        if condition():
            return
        await asyncio.sleep(0)


@pytest.fixture
def events() -> list[TriggerEvent]:
    return []


@pytest.fixture
def emit(events: list[TriggerEvent]) -> Emit:
    async def collect(event: TriggerEvent) -> None:
        events.append(event)

    return collect


def test_desired_triggers_are_the_enabled_looping_ones_a_pipeline_uses() -> None:
    _, full = wf(tick=cron(), watch=Trigger("", "filesystem", {"path": "/in"}))
    extra = (
        Trigger("hook", "webhook"),
        Trigger("off", "cron", {"cron": "* * * * *"}, enabled=False),
        Trigger("unused", "cron", {"cron": "* * * * *"}),
    )
    pipeline = Pipeline("p", nodes=(), triggers=("tick", "watch", "hook", "off"))
    applied = Workflow("wf", (pipeline,), (*full.triggers, *extra))
    assert sorted(desired_triggers([("wf", applied)])) == [("wf", "tick"), ("wf", "watch")]


async def test_reconcile_starts_each_trigger_once(emit: Emit, events: list[TriggerEvent]) -> None:
    factory = Factory()
    async with TriggerController(factory, emit, clock=FakeClock()) as controller:
        result = await controller.reconcile(
            [wf(a=cron(), b=cron("@hourly")), wf("other", c=cron())]
        )
        await settle(lambda: len(events) == 3)
        assert sorted(result.started) == [("other", "c"), ("wf", "a"), ("wf", "b")]
        assert sorted(factory.live()) == [("other", "c"), ("wf", "a"), ("wf", "b")]
        assert sorted(e.trigger for e in events) == ["a", "b", "c"]


async def test_reconcile_touches_exactly_the_changed_triggers(emit: Emit) -> None:
    factory = Factory()
    async with TriggerController(factory, emit, clock=FakeClock()) as controller:
        await controller.reconcile([wf(keep=cron(), change=cron(), drop=cron())])
        await settle(lambda: len(factory.live()) == 3)
        before = factory.live()

        result = await controller.reconcile([wf(keep=cron(), change=cron("@hourly"), new=cron())])
        await settle(lambda: len(factory.live()) == 3)

        assert result == Reconciled(
            started=(("wf", "new"),),
            stopped=(("wf", "drop"),),
            restarted=(("wf", "change"),),
            unchanged=(("wf", "keep"),),
        )
        after = factory.live()
        assert after[("wf", "keep")] is before[("wf", "keep")]
        assert before[("wf", "keep")].runs == 1
        assert before[("wf", "drop")].cancelled
        assert before[("wf", "change")].cancelled
        assert after[("wf", "change")].trigger.params["cron"] == "@hourly"
        assert sorted(after) == [("wf", "change"), ("wf", "keep"), ("wf", "new")]


async def test_reconcile_with_the_same_workflows_changes_nothing(emit: Emit) -> None:
    factory = Factory()
    async with TriggerController(factory, emit, clock=FakeClock()) as controller:
        await controller.reconcile([wf(a=cron())])
        await settle(lambda: bool(factory.live()))
        result = await controller.reconcile([wf(a=cron())])
        await settle()
        assert result == Reconciled(unchanged=(("wf", "a"),))
        assert len(factory.built) == 1


async def test_a_disabled_or_removed_workflow_stops_its_triggers(emit: Emit) -> None:
    factory = Factory()
    async with TriggerController(factory, emit, clock=FakeClock()) as controller:
        await controller.reconcile([wf(a=cron()), wf("other", b=cron())])
        await settle(lambda: len(factory.live()) == 2)
        result = await controller.reconcile([wf("other", b=cron())])
        assert result.stopped == (("wf", "a"),)
        assert list(factory.live()) == [("other", "b")]


async def test_stop_stops_every_trigger(emit: Emit) -> None:
    factory = Factory()
    controller = TriggerController(factory, emit, clock=FakeClock())
    await controller.reconcile([wf(a=cron(), b=cron("@daily"))])
    await settle(lambda: len(factory.live()) == 2)
    await controller.stop()
    assert all(source.cancelled for source in factory.built)
    assert controller.status() == []


async def test_a_crashing_trigger_is_restarted_with_backoff_and_logged(
    emit: Emit, events: list[TriggerEvent], caplog: pytest.LogCaptureFixture
) -> None:
    clock, factory = FakeClock(), Factory(failures=3)
    async with TriggerController(factory, emit, clock=clock, policy=NO_JITTER) as controller:
        await controller.reconcile([wf(a=cron())])
        await settle(lambda: len(events) == 1)
        [source] = factory.built  # the same source, run again: it keeps its state
        assert source.runs == 4
        assert clock.slept == [1.0, 2.0, 4.0]
        [status] = controller.status()
        assert (status.trigger, status.restarts) == ("a", 3)
        assert status.last_error == "RuntimeError: boom 3"
    crashes = [r for r in caplog.records if getattr(r, "action", "") == "trigger.crashed"]
    assert len(crashes) == 3
    assert crashes[0].trigger == "wf/a"  # type: ignore[attr-defined]
    assert "boom 1" in crashes[0].getMessage()
    assert crashes[0].levelno == logging.ERROR


async def test_a_trigger_that_cannot_be_built_is_retried_until_it_can(emit: Emit) -> None:
    clock, attempts = FakeClock(), []

    def flaky(workflow: str, trigger: Trigger) -> FakeSource:
        attempts.append(clock.now())
        if len(attempts) < 3:
            raise ValueError("the watched directory is not there yet")
        return FakeSource(workflow, trigger)

    async with TriggerController(flaky, emit, clock=clock, policy=NO_JITTER) as controller:
        await controller.reconcile([wf(a=cron())])
        await settle(lambda: len(attempts) == 3)
        assert clock.slept == [1.0, 2.0]
        assert controller.status()[0].last_error == (
            "ValueError: the watched directory is not there yet"
        )


async def test_a_trigger_that_returns_is_run_again(emit: Emit) -> None:
    runs = []

    class Once:
        name = "wf/a"

        async def run(self, emit: Emit) -> None:
            runs.append(1)
            if len(runs) > 2:
                await asyncio.Event().wait()

    clock = FakeClock()
    async with TriggerController(lambda w, t: Once(), emit, clock=clock, policy=NO_JITTER) as c:
        await c.reconcile([wf(a=cron())])
        await settle(lambda: len(runs) == 3)
        assert c.status()[0].last_error == "RuntimeError: the trigger stopped by itself"


async def test_events_reach_the_callers_emit(emit: Emit, events: list[TriggerEvent]) -> None:
    async with TriggerController(Factory(), emit, clock=FakeClock()) as controller:
        await controller.reconcile([wf(a=cron())])
        await settle(lambda: bool(events))
    assert events == [TriggerEvent("wf", "a", {"run": 1})]


async def test_the_built_in_factory_makes_cron_and_file_sources(tmp_path: Path) -> None:
    store = await open_store("memory://")
    make = source_factory(clock=FakeClock(), store=store, roots=[tmp_path])
    assert isinstance(make("wf", Trigger("t", "cron", {"cron": "@hourly"})), CronTrigger)
    watch = Trigger("w", "filesystem", {"path": str(tmp_path)})
    assert isinstance(make("wf", watch), FileTrigger)
    with pytest.raises(ValueError, match="has no loop"):
        make("wf", Trigger("h", "webhook"))


async def test_check_triggers_reports_unusable_ones_with_their_location(tmp_path: Path) -> None:
    store = await open_store("memory://")
    make = source_factory(clock=FakeClock(), store=store, roots=[tmp_path / "allowed"])
    outside = Trigger("w", "filesystem", {"path": "/etc"})
    problems = check_triggers([wf(w=outside, ok=cron())], make)
    assert len(problems) == 1
    assert "may only watch inside" in problems[0]
