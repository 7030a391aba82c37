"""Which region each node of a pipeline belongs to: a split's body is what its `out`
port reaches and its other ports do not, and a node in nested bodies belongs to the
innermost one."""

from __future__ import annotations

from xene.core.plan import ROOT, Plan
from xene.ir import TASK, Edge, Node, Pipeline


def _regions(nodes: dict[str, str], edges: list[Edge]) -> dict[str, str]:
    pipeline = Pipeline(
        name="p", nodes=tuple(Node(n, t) for n, t in nodes.items()), edges=tuple(edges)
    )
    return dict(Plan.build(pipeline).region_of)


def test_a_node_the_done_port_reaches_through_several_nodes_is_not_in_the_body() -> None:
    nodes = {"split": "std::split", "work": TASK, "x": TASK, "y": TASK}
    edges = [Edge("split", "work", "out"), Edge("split", "x", "done"), Edge("x", "y")]
    regions = _regions(nodes, [*edges, Edge("y", "work")])
    assert regions == {"split": ROOT, "work": ROOT, "x": ROOT, "y": ROOT}


def test_a_body_node_that_joins_the_done_branch_stays_in_the_body() -> None:
    nodes = {"split": "std::split", "work": TASK, "after": TASK, "end": TASK}
    edges = [Edge("split", "work", "out"), Edge("split", "after", "done")]
    regions = _regions(nodes, [*edges, Edge("work", "end"), Edge("after", "end")])
    assert regions == {"split": ROOT, "work": "split", "after": ROOT, "end": ROOT}


def test_a_node_in_nested_splits_belongs_to_the_innermost() -> None:
    nodes = {"outer": "std::split", "inner": "std::split", "work": TASK, "tally": TASK}
    edges = [Edge("outer", "inner", "out"), Edge("inner", "work", "out")]
    regions = _regions(nodes, [*edges, Edge("inner", "tally", "done")])
    assert regions == {"outer": ROOT, "inner": "outer", "work": "inner", "tally": "outer"}


def test_each_split_of_a_chain_of_splits_has_its_own_body() -> None:
    nodes = {f"s{i}": "std::split" for i in range(3)} | {f"b{i}": TASK for i in range(3)}
    edges = [Edge(f"s{i}", f"b{i}", "out") for i in range(3)]
    regions = _regions(nodes, [*edges, Edge("s0", "s1", "done"), Edge("s1", "s2", "done")])
    assert regions == {**{f"s{i}": ROOT for i in range(3)}, **{f"b{i}": f"s{i}" for i in range(3)}}
