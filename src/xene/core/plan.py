"""The static shape of a pipeline run: regions, counted edges, entry nodes. Pure.

A *region* is a part of the graph that runs as one unit: the pipeline itself (the root
region, id `""`), or the body of a `std::split` (run once per item) or of a `std::loop`
(run once per iteration). A split's body is everything reachable from its `out` port and
not from its other ports; a loop's body is what its `continue` port reaches, up to the
`loop_back` edge that returns to it.

Inside a region, a node waits on its *counted* incoming edges. An edge from a body to a
node after the split or loop is counted as an edge from the construct itself, on `done`
(split) or `exit` (loop): it fires when the construct completes.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import field

from xene.core.dag import Graph
from xene.frozen import frozen
from xene.ir import Edge, Node, Pipeline

SPLIT = "std::split"
LOOP = "std::loop"
MERGE = "std::merge"
WAIT = "std::wait"
ROOT = ""
BODY_PORT = {SPLIT: "out", LOOP: "continue"}
END_PORT = {SPLIT: "done", LOOP: "exit"}


@frozen
class Region:
    """The pipeline itself, or the body of one split or loop: its members and their edges."""

    id: str
    """`""` for the pipeline itself, else the id of the split or loop whose body this is."""
    members: tuple[str, ...]
    incoming: Mapping[str, tuple[Edge, ...]]
    outgoing: Mapping[str, tuple[Edge, ...]]
    sinks: tuple[str, ...]
    """Members with no outgoing edge inside the region: their outputs end a branch."""
    loop_back: Mapping[str, Edge] = field(default_factory=dict)
    """Body member -> its `loop_back` edge to the loop (loop regions only)."""
    join_all: frozenset[str] = frozenset()
    """Members that run only when every counted incoming edge fired (Xene tasks)."""
    merge_rules: Mapping[str, tuple[str, int]] = field(default_factory=dict)
    """`std::merge` members: (strategy, count) — they may fire before all inputs end."""


@frozen
class Plan:
    """A pipeline cut into regions (the pipeline, each split or loop body): what the planner
    decides each run by."""

    pipeline: Pipeline
    regions: Mapping[str, Region]
    region_of: Mapping[str, str]
    """Node id -> id of the region it is a member of."""
    node_types: Mapping[str, str]

    @classmethod
    def build(cls, pipeline: Pipeline) -> Plan:
        return _build(pipeline)


def _build(pipeline: Pipeline) -> Plan:
    ids = [n.id for n in pipeline.nodes]
    by_id = {n.id: n for n in pipeline.nodes}
    types = {n.id: n.type for n in pipeline.nodes}
    graph = Graph.build(ids, pipeline.edges)
    bodies = {c: _body(graph, c, types[c]) for c in ids if types[c] in BODY_PORT}
    region_of = _innermost(ids, bodies)
    parent = {c: region_of[c] for c in bodies}
    counted: dict[str, list[Edge]] = {r: [] for r in [ROOT, *bodies]}
    for edge in pipeline.edges:
        if edge.loop_back:
            continue
        placed = _place(edge, region_of, parent, types)
        if placed is not None:
            counted[placed[0]].append(placed[1])
    loop_backs: dict[str, dict[str, Edge]] = {r: {} for r in counted}
    for edge in pipeline.edges:
        if edge.loop_back and edge.target in bodies:
            member = _ancestor_in(edge.source, edge.target, region_of, parent)
            if member is not None:
                loop_backs[edge.target][member] = edge
    members: dict[str, list[str]] = {r: [] for r in counted}
    for node in ids:
        members[region_of[node]].append(node)
    regions = {r: _region(r, members[r], counted[r], loop_backs[r], by_id) for r in counted}
    return Plan(pipeline=pipeline, regions=regions, region_of=region_of, node_types=types)


def _body(graph: Graph, construct: str, node_type: str) -> set[str]:
    """What the construct's body port reaches and none of its other ports does.

    A path from another port into the body cannot pass through the construct (the graph
    is acyclic), so it runs through nodes that reach the body without it: the search from
    the other ports stays among those, and costs about the body's size, not the graph's
    (a chain of splits would otherwise be walked once per split)."""
    edges = graph.successors[construct]
    port = BODY_PORT[node_type]
    reached = graph.reachable(e.target for e in edges if e.port == port)
    around = [e.target for e in edges if e.port != port]
    upstream = _reaching(graph, reached, construct)
    return reached - _within(graph, around, upstream) - {construct}


def _reaching(graph: Graph, targets: set[str], avoid: str) -> set[str]:
    """`targets` and every node with a path into them that does not pass `avoid`."""
    seen = set(targets)
    todo = deque(targets)
    while todo:
        for edge in graph.predecessors[todo.popleft()]:
            if edge.source != avoid and edge.source not in seen:
                seen.add(edge.source)
                todo.append(edge.source)
    return seen


def _within(graph: Graph, starts: Iterable[str], allowed: set[str]) -> set[str]:
    """The nodes of `allowed` reachable from `starts` without leaving `allowed`."""
    seen = {start for start in starts if start in allowed}
    todo = deque(seen)
    while todo:
        for edge in graph.successors[todo.popleft()]:
            if edge.target in allowed and edge.target not in seen:
                seen.add(edge.target)
                todo.append(edge.target)
    return seen


def _innermost(ids: Sequence[str], bodies: Mapping[str, set[str]]) -> dict[str, str]:
    """Node -> the construct with the smallest body that holds it (the first of equal
    ones), else ROOT: the largest bodies are assigned first, the smaller ones overwrite."""
    region_of = dict.fromkeys(ids, ROOT)
    position = {construct: index for index, construct in enumerate(bodies)}
    for construct in sorted(bodies, key=lambda c: (-len(bodies[c]), -position[c])):
        for node in bodies[construct]:
            region_of[node] = construct
    return region_of


def _ancestor_in(
    node: str, region: str, region_of: Mapping[str, str], parent: Mapping[str, str]
) -> str | None:
    """The member of `region` that is `node` or a construct enclosing `node`, if any."""
    current: str | None = node
    while current is not None and region_of.get(current, ROOT) != region:
        enclosing = region_of.get(current, ROOT)
        current = None if enclosing == ROOT else enclosing
    return current


def _place(
    edge: Edge, region_of: Mapping[str, str], parent: Mapping[str, str], types: Mapping[str, str]
) -> tuple[str, Edge] | None:
    """The region an edge is counted in, and the edge as that region sees it."""
    source_region = region_of.get(edge.source)
    target_region = region_of.get(edge.target)
    if source_region is None or target_region is None:
        return None
    if source_region == target_region:
        return target_region, edge
    if target_region == edge.source:  # a construct's edge into its own body
        return target_region, edge
    construct = _ancestor_in(edge.source, target_region, region_of, parent)
    if construct is None or construct not in parent:
        return None  # an edge into a body from outside its construct: never fires
    port = END_PORT[types[construct]]
    return target_region, Edge(construct, edge.target, port, edge.condition, loc=edge.loc)


def _region(
    rid: str,
    members: list[str],
    edges: list[Edge],
    loop_back: dict[str, Edge],
    nodes: Mapping[str, Node],
) -> Region:
    incoming: dict[str, list[Edge]] = {m: [] for m in members}
    outgoing: dict[str, list[Edge]] = {m: [] for m in members}
    for edge in edges:
        incoming[edge.target].append(edge)
        if edge.source in outgoing:
            outgoing[edge.source].append(edge)
    return Region(
        id=rid,
        members=tuple(members),
        incoming={m: tuple(es) for m, es in incoming.items()},
        outgoing={m: tuple(es) for m, es in outgoing.items()},
        sinks=tuple(m for m in members if not outgoing[m]),
        loop_back=loop_back,
        join_all=frozenset(m for m in members if nodes[m].join == "all"),
        merge_rules={m: _merge_rule(nodes[m].config) for m in members if nodes[m].type == MERGE},
    )


def _merge_rule(config: Mapping[str, object]) -> tuple[str, int]:
    count = config.get("count", 1)
    return str(config.get("strategy", "wait_all")), count if isinstance(count, int) else 1
