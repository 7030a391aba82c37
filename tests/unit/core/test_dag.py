"""The pipeline graph: adjacency, cycles and topological order."""

from __future__ import annotations

import pytest

from xene.core.dag import Graph, find_cycle, topo_order
from xene.ir import Edge


def test_a_graph_lists_successors_and_predecessors_by_edge() -> None:
    graph = Graph.build("abc", [Edge("a", "b"), Edge("a", "c")])
    assert ([e.target for e in graph.successors["a"]], graph.predecessors["c"][0].source) == (
        ["b", "c"],
        "a",
    )


def test_a_graph_keeps_its_nodes_in_declaration_order() -> None:
    assert Graph.build(["b", "a"], []).nodes == ("b", "a")


def test_a_graph_leaves_out_loop_back_edges() -> None:
    graph = Graph.build("ab", [Edge("a", "b"), Edge("b", "a", loop_back=True)])
    assert (graph.successors["b"], graph.predecessors["a"]) == ((), ())


def test_a_graph_keeps_the_edges_after_a_left_out_one() -> None:
    graph = Graph.build(
        "abc", [Edge("b", "a", loop_back=True), Edge("nobody", "a"), Edge("a", "c")]
    )
    assert [e.target for e in graph.successors["a"]] == ["c"]


def test_a_graph_leaves_out_edges_from_unknown_nodes() -> None:
    graph = Graph.build("b", [Edge("nobody", "b")])
    assert graph.predecessors["b"] == ()


def test_a_graph_leaves_out_edges_to_unknown_nodes() -> None:
    graph = Graph.build("a", [Edge("a", "nobody")])
    assert graph.successors["a"] == ()


def test_reachable_includes_the_starts_and_stops_at_the_end_of_edges() -> None:
    graph = Graph.build("abcd", [Edge("b", "c"), Edge("a", "b")])
    assert graph.reachable(["b"]) == {"b", "c"}


def test_reachable_goes_on_past_a_node_reached_by_two_edges() -> None:
    graph = Graph.build("abc", [Edge("a", "b", "true"), Edge("a", "b", "false"), Edge("b", "c")])
    assert graph.reachable(["a"]) == {"a", "b", "c"}


def test_an_acyclic_graph_has_no_cycle() -> None:
    assert (
        find_cycle("abcd", [Edge("a", "b"), Edge("a", "c"), Edge("b", "d"), Edge("c", "d")]) is None
    )


def test_a_cycle_is_returned_as_the_path_that_closes_it() -> None:
    edges = [Edge("a", "b"), Edge("b", "c"), Edge("c", "b")]
    assert find_cycle("abc", edges) == ["b", "c", "b"]


def test_a_cycle_through_a_nodes_second_successor_is_found() -> None:
    edges = [Edge("a", "b"), Edge("a", "c"), Edge("c", "a")]
    assert find_cycle("abc", edges) == ["a", "c", "a"]


def test_a_cycle_reached_from_a_later_start_is_found() -> None:
    edges = [Edge("a", "b"), Edge("c", "d"), Edge("d", "c")]
    assert find_cycle("abcd", edges) == ["c", "d", "c"]


def test_a_node_reached_twice_without_a_cycle_is_not_one() -> None:
    edges = [Edge("a", "c"), Edge("b", "c"), Edge("c", "d")]
    assert find_cycle("abcd", edges) is None


def test_a_self_loop_is_a_cycle() -> None:
    assert find_cycle("a", [Edge("a", "a")]) == ["a", "a"]


def test_a_loop_back_edge_is_not_a_cycle() -> None:
    assert find_cycle("ab", [Edge("a", "b"), Edge("b", "a", loop_back=True)]) is None


def test_topological_order_puts_each_node_after_its_dependencies() -> None:
    assert topo_order("cba", [Edge("a", "b"), Edge("b", "c")]) == ["a", "b", "c"]


def test_topological_order_keeps_declaration_order_among_ready_nodes() -> None:
    edges = [Edge("d", "b"), Edge("d", "a"), Edge("d", "c")]
    assert topo_order("dcba", edges) == ["d", "c", "b", "a"]


def test_topological_order_waits_for_every_dependency() -> None:
    edges = [Edge("a", "c"), Edge("b", "c")]
    assert topo_order("cab", edges) == ["a", "b", "c"]


def test_topological_order_of_a_cycle_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^graph has a cycle$"):
        topo_order("ab", [Edge("a", "b"), Edge("b", "a")])
