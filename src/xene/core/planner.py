"""Readiness: which nodes of a region instance start, which are skipped, when it is done.

Pure and synchronous: the engine tells it what finished, it answers with actions. Each
node keeps a count of its undecided incoming edges; a finished node decides each of its
outgoing edges (fired or not), so readiness costs O(edges) for the whole run.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from xene.core.plan import Region
from xene.core.states import State
from xene.frozen import frozen
from xene.ir import Edge

Scope = tuple[tuple[str, int], ...]
"""Enclosing split items / loop iterations, outermost first: `(("split", 3), ("loop", 0))`."""

ConditionCheck = Callable[[str, Any], bool]
"""`check(condition, output)`: is an edge's condition true for the output it carries?"""


@frozen
class Start:
    """Start `node` in `region` with `input`."""

    region: RegionRun
    node: str
    input: Any
    inputs: Mapping[str, Any]
    """Fired inputs by source node id, in arrival order."""


@frozen
class Skip:
    """Mark `node` in `region` as never run, in `state`."""

    region: RegionRun
    node: str
    state: State
    """`Skipped` for an untaken branch, `NotExecuted` when something upstream failed."""


@frozen
class RegionDone:
    """Nothing of `region` is pending any more: it has ended."""

    region: RegionRun


Action = Start | Skip | RegionDone


def instance_key(node: str, scope: Scope) -> str:
    """The record key of one execution of a node: `process[split=3]`."""
    return node + "".join(f"[{c}={i}]" for c, i in scope)


@dataclass(slots=True, eq=False)
class RegionRun:
    """One running instance of a region: the pipeline, one split item, one loop iteration."""

    region: Region
    scope: Scope
    check: ConditionCheck
    remaining: dict[str, int] = field(default_factory=dict)
    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    fired: dict[str, int] = field(default_factory=dict)
    upstream_failed: set[str] = field(default_factory=set)
    started: set[str] = field(default_factory=set)
    pending: int = 0
    outputs: dict[str, Any] = field(default_factory=dict)
    """Outputs of the members that succeeded, for the branch's final output."""
    failed: bool = False
    loop_back_output: Any = None
    looped_back: bool = False

    def key(self, node: str) -> str:
        return instance_key(node, self.scope)


def open_region(region: Region, scope: Scope, check: ConditionCheck) -> RegionRun:
    run = RegionRun(region=region, scope=scope, check=check)
    run.remaining = {m: len(region.incoming[m]) for m in region.members}
    run.pending = len(region.members)
    return run


def enter(run: RegionRun, entry_input: Any) -> list[Action]:
    """Start a region instance: entry members get `entry_input`; a body's entry edges
    (from its split or loop) fire with it."""
    actions: list[Action] = []
    queue: deque[tuple[Edge, bool, Any, bool]] = deque()
    for member in run.region.members:
        edges = run.region.incoming[member]
        if not edges:
            run.started.add(member)
            actions.append(Start(run, member, entry_input, {}))
            continue
        for edge in edges:
            if edge.source == run.region.id:
                fired = edge.condition is None or run.check(edge.condition, entry_input)
                queue.append((edge, fired, entry_input, False))
    _drain(run, queue, actions)
    if run.pending == 0:
        actions.append(RegionDone(run))
    return actions


def finish(
    run: RegionRun,
    node: str,
    ports: tuple[str, ...],
    output: Any,
    *,
    failed: bool = False,
) -> list[Action]:
    """A member ended (ran, failed or was cancelled): decide its outgoing edges."""
    actions: list[Action] = []
    queue: deque[tuple[Edge, bool, Any, bool]] = deque()
    _ended(run, node, ports, output, failed, queue)
    _drain(run, queue, actions)
    if run.pending == 0:
        actions.append(RegionDone(run))
    return actions


def _ended(
    run: RegionRun,
    node: str,
    ports: tuple[str, ...],
    output: Any,
    failed: bool,
    queue: deque[tuple[Edge, bool, Any, bool]],
) -> None:
    run.pending -= 1
    if failed:
        run.failed = True
    elif ports:
        run.outputs[node] = output
    back = run.region.loop_back.get(node)
    if back is not None and not failed and back.port in ports:
        run.looped_back = back.condition is None or run.check(back.condition, output)
        run.loop_back_output = output
    for edge in run.region.outgoing[node]:
        fired = not failed and edge.port in ports
        if fired and edge.condition is not None:
            fired = run.check(edge.condition, output)
        queue.append((edge, fired, output, failed or node in run.upstream_failed))


def _drain(
    run: RegionRun,
    queue: deque[tuple[Edge, bool, Any, bool]],
    actions: list[Action],
) -> None:
    while queue:
        edge, fired, output, failure = queue.popleft()
        target = edge.target
        run.remaining[target] -= 1
        if failure:
            run.upstream_failed.add(target)
        if fired:
            run.inputs.setdefault(target, {})[edge.source] = output
            run.fired[target] = run.fired.get(target, 0) + 1
        if target in run.started:
            continue
        decision = _decide(run, target)
        if decision is True:
            run.started.add(target)
            inputs = run.inputs.get(target, {})
            value = next(iter(inputs.values())) if len(inputs) == 1 else dict(inputs)
            actions.append(Start(run, target, value, inputs))
        elif decision is False:
            run.started.add(target)
            state = State.NOT_EXECUTED if target in run.upstream_failed else State.SKIPPED
            actions.append(Skip(run, target, state))
            _ended(run, target, (), None, False, queue)


def _decide(run: RegionRun, node: str) -> bool | None:
    """True: start now; False: will never run; None: keep waiting."""
    fired = run.fired.get(node, 0)
    strategy = run.region.merge_rules.get(node)
    if strategy is not None:
        name, count = strategy
        if name in ("first_arrival", "any") and fired >= 1:
            return True
        if name in ("wait_n", "count") and fired >= count:
            return True
    if run.remaining[node] > 0:
        return None
    if node in run.region.join_all:
        return fired == len(run.region.incoming[node])
    return fired > 0
