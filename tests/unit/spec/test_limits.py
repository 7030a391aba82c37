"""The graph limits: 10,000 nodes and 50,000 edges by default, overridable from the
environment, refused past them with a located error that says how to raise them."""

from __future__ import annotations

import pytest

from xene.ir import TASK, Edge, Location, Node, Pipeline
from xene.spec import limits, validate


@pytest.fixture(autouse=True)
def _default_limits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(limits.NODES_ENV, raising=False)
    monkeypatch.delenv(limits.EDGES_ENV, raising=False)


def _tasks(n: int) -> tuple[Node, ...]:
    return tuple(Node(f"n{i}", TASK) for i in range(n))


def _fanout(width: int) -> Pipeline:
    """start -> width tasks -> join."""
    middle = _tasks(width)
    edges = tuple(Edge("start", m.id) for m in middle) + tuple(Edge(m.id, "join") for m in middle)
    nodes = (Node("start", TASK), *middle, Node("join", TASK))
    return Pipeline("wide", nodes=nodes, edges=edges, loc=Location("wide.yaml", 4, "nodes"))


def _messages(pipeline: Pipeline) -> list[str]:
    return [str(problem) for problem in validate.check_pipeline(pipeline)]


def test_a_fan_out_of_1_1000_1_is_accepted() -> None:
    assert _messages(_fanout(1000)) == []


def test_10000_nodes_are_accepted_by_default() -> None:
    assert _messages(_fanout(9998)) == []


def test_more_than_10000_nodes_are_refused_where_the_pipeline_is() -> None:
    (problem,) = _messages(_fanout(9999))
    assert problem.startswith('wide.yaml:4: nodes: pipeline "wide" has 10001 nodes')
    assert "the limits are 10000 nodes and 50000 edges per pipeline" in problem


def test_the_refusal_names_the_variables_that_raise_the_limits() -> None:
    (problem,) = _messages(_fanout(9999))
    assert "raise the limits with the environment variables XENE_MAX_NODES and XENE_MAX_EDGES" in (
        problem
    )


def test_more_than_50000_edges_are_refused() -> None:
    nodes = _tasks(2)
    edges = tuple(Edge("n0", "n1") for _ in range(50_001))
    (problem,) = _messages(Pipeline("dense", nodes=nodes, edges=edges))
    assert "has 2 nodes and 50001 edges; the limits are" in problem


def test_xene_max_nodes_raises_the_node_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.NODES_ENV, "20000")
    assert _messages(_fanout(9999)) == []


def test_xene_max_edges_lowers_the_edge_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.EDGES_ENV, "10")
    (problem,) = _messages(_fanout(10))
    assert "has 12 nodes and 20 edges; the limits are 10000 nodes and 10 edges" in problem


def test_a_limit_that_is_not_a_number_is_refused_by_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.NODES_ENV, "lots")
    (problem,) = _messages(_fanout(1))
    assert 'the environment variable XENE_MAX_NODES is "lots": set it to a whole number' in problem


def test_a_limit_below_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(limits.EDGES_ENV, "0")
    assert len(_messages(_fanout(1))) == 1


def test_an_unknown_node_in_a_large_pipeline_is_named_in_one_short_line() -> None:
    pipeline = _fanout(5000)
    wrong = Pipeline("wide", nodes=pipeline.nodes, edges=(*pipeline.edges, Edge("n17", "n5001x")))
    (problem,) = _messages(wrong)
    assert (
        'names unknown node "n5001x"; 5002 known nodes, such as join, n0, n1, n10, n100, ...'
        in problem
    )
    assert len(problem) < 200


def test_a_close_match_is_suggested_among_a_few_hundred_nodes() -> None:
    pipeline = _fanout(300)
    wrong = Pipeline("wide", nodes=pipeline.nodes, edges=(*pipeline.edges, Edge("n17", "jion")))
    (problem,) = _messages(wrong)
    assert 'names unknown node "jion"; did you mean "join"? 302 known nodes' in problem
