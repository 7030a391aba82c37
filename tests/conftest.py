from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from xene.core.records import Listener, NodeRecord, RunRecord, StepRecord
from xene.engine.engine import Engine
from xene.engine.options import EngineOptions


class FakeClock:
    """Time that moves only when slept on: retries and backoffs cost nothing."""

    def __init__(self) -> None:
        self.time = 1_700_000_000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.time

    def monotonic(self) -> float:
        return self.time

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.time += seconds
        await asyncio.sleep(0)


class Recorder(Listener):
    """Keeps every change it is told of."""

    def __init__(self) -> None:
        self.states: list[tuple[str, str]] = []
        self.steps: list[tuple[str, str, str]] = []
        self.lines: list[tuple[str, str | None, str]] = []
        self.running: set[str] = set()
        self.max_running = 0
        self.on_step: Callable[[NodeRecord, StepRecord], None] | None = None

    def node_changed(self, run: RunRecord, node: NodeRecord) -> None:
        self.states.append((node.key, str(node.state)))
        if str(node.state) == "Running":
            self.running.add(node.key)
            self.max_running = max(self.max_running, len(self.running))
        else:
            self.running.discard(node.key)

    def step_changed(self, run: RunRecord, node: NodeRecord, step: StepRecord) -> None:
        self.steps.append((node.key, step.name, str(step.state)))
        if self.on_step is not None:
            self.on_step(node, step)

    def log(self, run: RunRecord, node: NodeRecord, step: str | None, line: str) -> None:
        self.lines.append((node.key, step, line))


@pytest.fixture(autouse=True)
def xene_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Any:
    """Every test keeps its runs in a store of its own, never in ~/.xene."""
    home = tmp_path_factory.mktemp("xene-home")
    monkeypatch.setenv("XENE_HOME", str(home))
    for name in ("XENE_STORE", "XENE_SERVER", "XENE_TOKEN", "XENE_SECRET_KEY", "XENE_CA"):
        monkeypatch.delenv(name, raising=False)
    return home


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def engine(clock: FakeClock, recorder: Recorder) -> Engine:
    return Engine(EngineOptions(clock=clock, listeners=(recorder,), grace_s=1.0))


def states(run: RunRecord) -> dict[str, str]:
    return {key: str(node.state) for key, node in run.nodes.items()}


def outputs(run: RunRecord) -> dict[str, Any]:
    return {key: node.output for key, node in run.nodes.items()}
