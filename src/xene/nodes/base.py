"""The contract between the engine and node implementations.

A node implementation is a plain callable `(NodeContext) -> NodeResult` (or an awaitable of
one). It returns its output and the ports it emits on; it never touches the store, the clock
or the terminal. A *handled* error is a result on the `error` port; raising fails the node.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Any

from xene.frozen import frozen
from xene.ir import Node

if TYPE_CHECKING:
    from xene.executors.base import Executor


@frozen
class NodeResult:
    """What a node returns: its output and the ports that carry it."""

    output: Any = None
    ports: tuple[str, ...] = ("out",)


def handled_error(message: str, **details: Any) -> NodeResult:
    """A failure the graph handles: emitted on the `error` port, the run goes on."""
    return NodeResult(output={"error": message, **details}, ports=("error",))


@frozen
class NodeContext:
    """What a node sees when it starts.

    `config` has its selectors already resolved, except the keys its `NodeType.raw_keys`
    names (expressions, evaluated by the node against its input with `evaluate`).
    """

    node: Node
    input: Any
    config: Mapping[str, Any]
    evaluate: Callable[[str, Mapping[str, Any]], Any]
    """`evaluate(expression, extra_names)`: a bare `${field}` names a field of `input`;
    `extra_names` adds names such as `iteration`."""
    log: Callable[[str], None]
    run_id: str = ""
    key: str = ""
    """The node's key in the run (`node`, or `node[split=3]` inside a split item)."""
    attempt: int = 1
    scope: Mapping[str, Any] = field(default_factory=dict)
    pace: Any = None
    """Back-pressure for output (`xene.executors.spawn.Pace`): the run's journal."""
    executor: Executor | None = None
    """Where a node that runs commands (`NodeType.runs_commands`) runs them: the executor
    its pipeline names. None outside an engine's run (a node called by itself): here."""


NodeFn = Callable[[NodeContext], "NodeResult | Awaitable[NodeResult]"]
ConfigCheck = Callable[[Mapping[str, Any]], list[tuple[str, str]]]
"""Returns `(key.path, message)` for each problem of a node's config."""


def no_check(config: Mapping[str, Any]) -> list[tuple[str, str]]:
    return []


@frozen
class NodeType:
    """A registered `std::` node type."""

    name: str
    fn: NodeFn
    ports: tuple[str, ...] = ("out", "error")
    check: ConfigCheck = no_check
    raw_keys: frozenset[str] = frozenset()
    """Config keys whose selectors are not resolved at start (expressions on the input)."""
    blocking: bool = False
    """True for nodes doing I/O in sync code (run in a thread, not on the loop)."""
    runs_commands: bool = False
    """True for nodes running shell commands: they get `NodeContext.executor`."""
