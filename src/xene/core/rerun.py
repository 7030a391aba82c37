"""Which nodes a retry runs again (`xene retry RUN [--from NODE]`). Pure.

A plain retry runs again every node that did not succeed; the others are replayed from
the store. `--from NODE` runs that node and everything downstream of it again, even
what succeeded. The node keys returned are those of the run's records: a node that ran
once per split item or loop iteration has one record per item.
"""

from __future__ import annotations

from xene.core.dag import Graph
from xene.core.plan import ROOT, Plan
from xene.core.records import NodeRecord, RunRecord
from xene.core.states import State


def kept(node: NodeRecord) -> bool:
    """Successes, and errors an `error` port took (the run went on): replayed."""
    if node.state is State.SUCCESS:
        return True
    return node.state is State.ERROR and bool(node.ports)


def failed(run: RunRecord) -> tuple[str, ...]:
    """The records a plain retry runs again: every node that was not kept."""
    return tuple(key for key, node in run.nodes.items() if not kept(node))


def restart_point(plan: Plan, node_id: str) -> str:
    """Where `--from node_id` restarts: the node itself, or, for a node inside the body
    of a split or loop, the outermost construct around it (a body runs only when its
    construct runs)."""
    current = node_id
    while plan.region_of[current] != ROOT:
        current = plan.region_of[current]
    return current


def downstream(plan: Plan, run: RunRecord, node_id: str) -> tuple[str, ...]:
    """The records `--from node_id` runs again: the restart point and everything
    reachable from it. Raises KeyError for a node the pipeline does not have."""
    if node_id not in plan.region_of:
        raise KeyError(node_id)
    graph = Graph.build([n.id for n in plan.pipeline.nodes], plan.pipeline.edges)
    again = graph.reachable([restart_point(plan, node_id)])
    return tuple(key for key, node in run.nodes.items() if node.node_id in again)
