"""What a run leaves behind: run, node and step records, and the listeners told of changes.

Records are mutable while the engine owns them; a listener reads them when it is called
(the live view draws them, the store will commit them) and must copy what it keeps.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import field
from typing import Any

from xene.core.planner import Scope
from xene.core.states import State
from xene.frozen import slotted


@slotted
class StepRecord:
    """One step of a task node, as it runs."""

    name: str
    state: State = State.NOT_EXECUTED
    exit_code: int | None = None
    error: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    process: str | None = None
    """The process group running it (`xene.executors.processes.ProcessRef`), if any."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "state": str(self.state),
            "exit_code": self.exit_code,
            "error": self.error,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": _duration(self.started_at, self.ended_at),
        }


@slotted
class NodeRecord:
    """One node of a run (one per split item or loop turn inside a body), as it runs."""

    key: str
    """`node` at the top level, `node[split=3]` inside a split item."""
    node_id: str
    type: str
    scope: Scope = ()
    state: State = State.NOT_EXECUTED
    attempt: int = 0
    input: Any = None
    output: Any = None
    ports: tuple[str, ...] = ()
    error: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    steps: list[StepRecord] = field(default_factory=list)
    progress: tuple[int, int] | None = None
    """(done, total) for a split's items or a loop's iterations."""
    note: str | None = None
    """What a reader should know of how it ran, e.g. that it ran again on recovery."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "node": self.node_id,
            "type": self.type,
            "state": str(self.state),
            "attempts": self.attempt,
            "ports": list(self.ports),
            "output": self.output,
            "error": self.error,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": _duration(self.started_at, self.ended_at),
            "steps": [s.to_dict() for s in self.steps],
            "note": self.note,
        }


@slotted
class RunRecord:
    """One run of a pipeline and its nodes, as it runs."""

    id: str
    workflow: str
    pipeline: str
    input: Any = None
    state: State = State.NOT_EXECUTED
    error: str | None = None
    started_at: float | None = None
    ended_at: float | None = None
    nodes: dict[str, NodeRecord] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.state is State.SUCCESS

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "workflow": self.workflow,
            "pipeline": self.pipeline,
            "state": str(self.state),
            "error": self.error,
            "input": self.input,
            "started_at": self.started_at,
            "ended_at": self.ended_at,
            "duration_s": _duration(self.started_at, self.ended_at),
            "nodes": [n.to_dict() for n in self.nodes.values()],
        }


def _duration(start: float | None, end: float | None) -> float | None:
    return None if start is None or end is None else round(end - start, 6)


def seconds_text(seconds: float) -> str:
    """A duration as people read it, the same in the CLI and the web UI: `850ms`,
    `12.5s`, `14m05s` (at most 7 characters below 1000 minutes)."""
    if seconds < 1:
        return f"{max(seconds, 0) * 1000:.0f}ms"
    if seconds < 120:
        return f"{seconds:.1f}s"
    return f"{int(seconds // 60)}m{int(seconds % 60):02d}s"


class Listener:
    """Told of every change, in order. Subclass and override what you need."""

    def run_changed(self, run: RunRecord) -> None:
        """The run's state changed."""

    def node_changed(self, run: RunRecord, node: NodeRecord) -> None:
        """A node's state, attempt or output changed."""

    def progress_changed(self, run: RunRecord, node: NodeRecord) -> None:
        """Only a split's or loop's progress changed (an item or iteration ended): told
        once per item, so a listener that keeps rows keeps just the count."""
        self.node_changed(run, node)

    def step_changed(self, run: RunRecord, node: NodeRecord, step: StepRecord) -> None:
        """A step's state changed."""

    def log(self, run: RunRecord, node: NodeRecord, step: str | None, line: str) -> None:
        """A line of step output, or a message a node logged (`step` None)."""


class Listeners(Listener):
    """Several listeners as one."""

    def __init__(self, listeners: Iterable[Listener]) -> None:
        self._all = tuple(listeners)

    def run_changed(self, run: RunRecord) -> None:
        for listener in self._all:
            listener.run_changed(run)

    def node_changed(self, run: RunRecord, node: NodeRecord) -> None:
        for listener in self._all:
            listener.node_changed(run, node)

    def progress_changed(self, run: RunRecord, node: NodeRecord) -> None:
        for listener in self._all:
            listener.progress_changed(run, node)

    def step_changed(self, run: RunRecord, node: NodeRecord, step: StepRecord) -> None:
        for listener in self._all:
            listener.step_changed(run, node, step)

    def log(self, run: RunRecord, node: NodeRecord, step: str | None, line: str) -> None:
        for listener in self._all:
            listener.log(run, node, step, line)
