"""The graph of a pipeline: adjacency, cycles, topological order. Pure, no I/O.

`loop_back` edges close loops on purpose; every function here leaves them out of the
acyclic graph, so a loop body still has an order.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Iterable, Sequence

from xene.frozen import frozen
from xene.ir import Edge


@frozen
class Graph:
    """Forward and backward adjacency over the acyclic edges (no `loop_back`)."""

    nodes: tuple[str, ...]
    successors: dict[str, tuple[Edge, ...]]
    predecessors: dict[str, tuple[Edge, ...]]

    @classmethod
    def build(cls, nodes: Sequence[str], edges: Iterable[Edge]) -> Graph:
        succ: dict[str, list[Edge]] = {n: [] for n in nodes}
        pred: dict[str, list[Edge]] = {n: [] for n in nodes}
        for edge in edges:
            if edge.loop_back or edge.source not in succ or edge.target not in pred:
                continue
            succ[edge.source].append(edge)
            pred[edge.target].append(edge)
        return cls(
            nodes=tuple(nodes),
            successors={n: tuple(es) for n, es in succ.items()},
            predecessors={n: tuple(es) for n, es in pred.items()},
        )

    def reachable(self, starts: Iterable[str]) -> set[str]:
        """Every node reachable from `starts` (the starts included)."""
        seen: set[str] = set()
        todo = deque(starts)
        while todo:
            node = todo.popleft()
            if node in seen:
                continue
            seen.add(node)
            todo.extend(e.target for e in self.successors[node])
        return seen


def find_cycle(nodes: Sequence[str], edges: Iterable[Edge]) -> list[str] | None:
    """A cycle among the non-`loop_back` edges as `[a, b, ..., a]`, or None."""
    graph = Graph.build(nodes, edges)
    colour: dict[str, int] = dict.fromkeys(nodes, 0)  # 0 new, 1 on stack, 2 done
    for start in nodes:
        if colour[start]:
            continue
        stack: list[tuple[str, int]] = [(start, 0)]
        path: list[str] = []
        while stack:
            node, index = stack.pop()
            if index == 0:
                colour[node] = 1
                path.append(node)
            succ = graph.successors[node]
            if index < len(succ):
                stack.append((node, index + 1))
                nxt = succ[index].target
                if colour[nxt] == 1:
                    return [*path[path.index(nxt) :], nxt]
                if colour[nxt] == 0:
                    stack.append((nxt, 0))
            else:
                colour[node] = 2
                path.pop()
    return None


def topo_order(nodes: Sequence[str], edges: Iterable[Edge]) -> list[str]:
    """Kahn's order over the non-`loop_back` edges, stable in declaration order.

    Raises ValueError on a cycle (validation rejects those first).
    """
    graph = Graph.build(nodes, edges)
    remaining = {n: len(graph.predecessors[n]) for n in nodes}
    position = {n: i for i, n in enumerate(nodes)}
    ready = [position[n] for n in nodes if remaining[n] == 0]
    heapq.heapify(ready)
    order: list[str] = []
    while ready:
        node = nodes[heapq.heappop(ready)]
        order.append(node)
        for edge in graph.successors[node]:
            remaining[edge.target] -= 1
            if remaining[edge.target] == 0:
                heapq.heappush(ready, position[edge.target])
    if len(order) != len(nodes):
        raise ValueError("graph has a cycle")
    return order
