"""What the helpers of an execution see of its run, and what they may do to it.

`Execution` (engine/execution.py) is the scheduler loop; it hands itself to its helpers
(`attempts`, `constructs`, `context`, `kept`) as one of these protocols, so that they
depend on this seam and never on the loop, and the loop's own state (its ready queue,
its tasks, whether it is draining) stays its own. Both are read-only views: a helper
changes a run only by calling a method here, and the loop records every change it makes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from xene.core import planner
    from xene.core.planner import Start
    from xene.core.records import Listener, NodeRecord, RunRecord
    from xene.core.states import State
    from xene.engine.journal import RunJournal
    from xene.engine.options import EngineOptions
    from xene.engine.run_executors import RunExecutors
    from xene.ir import Node, Pipeline
    from xene.nodes.base import NodeContext, NodeResult


class RunView(Protocol):
    """The run being executed, read-only: what a node's context is made of."""

    @property
    def run(self) -> RunRecord: ...

    @property
    def pipeline(self) -> Pipeline: ...

    @property
    def nodes(self) -> Mapping[str, Node]:
        """The pipeline's nodes by id."""
        ...

    @property
    def options(self) -> EngineOptions:
        """The engine's options, with exactly the run's secrets once it has started."""
        ...

    @property
    def listener(self) -> Listener:
        """Told of every change and every log line (masking the run's secrets)."""
        ...

    @property
    def journal(self) -> RunJournal:
        """What the run commits through; the pace of steps' output."""
        ...

    @property
    def executors(self) -> RunExecutors:
        """Where the run's nodes run their commands."""
        ...

    @property
    def cancelling(self) -> bool:
        """The run is being stopped: start no new attempt."""
        ...


class RunControl(RunView, Protocol):
    """The run being executed, and what the helpers that run its nodes may do to it."""

    def record_of(self, start: Start) -> NodeRecord:
        """The record of the node `start` starts (made when the planner started it)."""
        ...

    def node_context(self, node: Node, start: Start, record: NodeRecord) -> NodeContext:
        """What the node sees when it starts: its config resolved, its log."""
        ...

    async def decision(self, node: Node, start: Start, record: NodeRecord) -> NodeResult:
        """A `std::wait` node's result, once its decision is made (or Suspend)."""
        ...

    def set_state(self, record: NodeRecord, state: State) -> None:
        """Move a node to `state` (a transition of `xene.core.states`) and say so."""
        ...

    def suspend(self, record: NodeRecord) -> None:
        """The node waits for a decision: the run may suspend once nothing else runs."""
        ...

    def node_returned(self, start: Start, record: NodeRecord, result: NodeResult) -> None:
        """A node's result, as the node returned it (a split fans out, a loop iterates)."""
        ...

    def complete(self, start: Start, record: NodeRecord, result: NodeResult) -> None:
        """The node ends with `result`; its successors start."""
        ...

    def node_failed(self, start: Start, record: NodeRecord, message: str) -> None:
        """The node ends in Error, saying why; the run will fail."""
        ...

    def apply(self, actions: list[planner.Action]) -> None:
        """Do what the planner says: start nodes, skip them, end regions."""
        ...

    def root_done(self) -> None:
        """The pipeline's own region has ended: so does the run."""
        ...

    async def commit(self) -> None:
        """Commit what changed now (a retry's attempt, before it acts)."""
        ...
