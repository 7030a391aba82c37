"""Regions of a plan when split and loop bodies nest, and the rules a region carries."""

from __future__ import annotations

from tests.unit.core import planning
from xene.core.plan import ROOT, Plan
from xene.ir import TASK, Edge, Location, Node, Pipeline

SPLIT, LOOP = "std::split", "std::loop"


def _split_in_split() -> Plan:
    nodes = {"batches": SPLIT, "lines": SPLIT, "work": TASK, "per_item": TASK, "after": TASK}
    edges = [
        Edge("batches", "lines", "out"),
        Edge("lines", "work", "out"),
        Edge("work", "per_item"),
        Edge("lines", "per_item", "done"),
        Edge("batches", "after", "done"),
    ]
    return Plan.build(planning.pipeline(nodes, edges))


def test_a_split_inside_a_split_body_has_its_own_region_inside() -> None:
    assert _split_in_split().region_of == {
        "batches": ROOT,
        "lines": "batches",
        "work": "lines",
        "per_item": "batches",
        "after": ROOT,
    }


def test_an_edge_out_of_an_inner_body_counts_as_the_inner_split_done() -> None:
    incoming = _split_in_split().regions["batches"].incoming["per_item"]
    assert [(e.source, e.port) for e in incoming] == [("lines", "done"), ("lines", "done")]


def test_an_edge_out_of_nested_bodies_counts_as_the_outermost_split_done() -> None:
    nodes = {"batches": SPLIT, "lines": SPLIT, "work": TASK, "after": TASK}
    edges = [
        Edge("batches", "lines", "out"),
        Edge("lines", "work", "out"),
        Edge("work", "after"),
        Edge("lines", "after", "done"),
        Edge("batches", "after", "done"),
    ]
    incoming = Plan.build(planning.pipeline(nodes, edges)).regions[ROOT].incoming["after"]
    assert [(e.source, e.port) for e in incoming] == [("batches", "done")] * 3


def _counted_out_of_a_body() -> Edge:
    nodes = {"split": SPLIT, "work": TASK, "after": TASK}
    where = Location(file="flow.yaml", line=7)
    edges = [Edge("split", "work", "out"), Edge("work", "after", condition="true", loc=where)]
    edges.append(Edge("split", "after", "done"))
    return Plan.build(planning.pipeline(nodes, edges)).regions[ROOT].incoming["after"][0]


def test_a_counted_edge_out_of_a_body_keeps_its_condition() -> None:
    assert _counted_out_of_a_body().condition == "true"


def test_a_counted_edge_out_of_a_body_keeps_where_it_was_declared() -> None:
    assert _counted_out_of_a_body().loc == Location(file="flow.yaml", line=7)


def _split_in_loop() -> Plan:
    nodes = {"loop": LOOP, "split": SPLIT, "work": TASK, "after": TASK}
    edges = [
        Edge("loop", "split", "continue"),
        Edge("split", "work", "out"),
        Edge("work", "loop", loop_back=True),
        Edge("loop", "after", "exit"),
    ]
    return Plan.build(planning.pipeline(nodes, edges))


def test_a_split_inside_a_loop_body_nests_its_region_in_the_loop() -> None:
    plan = _split_in_loop()
    assert (plan.region_of["split"], plan.region_of["work"]) == ("loop", "split")


def test_a_loop_back_from_a_nested_body_belongs_to_the_construct_in_the_loop() -> None:
    assert set(_split_in_loop().regions["loop"].loop_back) == {"split"}


def test_a_loop_back_declared_first_does_not_hide_the_edges_after_it() -> None:
    nodes = {"loop": LOOP, "body": TASK, "after": TASK}
    edges = [
        Edge("body", "loop", loop_back=True),
        Edge("loop", "body", "continue"),
        Edge("loop", "after", "exit"),
    ]
    plan = Plan.build(planning.pipeline(nodes, edges))
    assert [e.source for e in plan.regions[ROOT].incoming["after"]] == ["loop"]


def test_a_loop_back_into_a_node_that_is_not_a_loop_is_left_out() -> None:
    nodes = {"a": TASK, "b": TASK}
    edges = [Edge("a", "b"), Edge("b", "a", loop_back=True)]
    plan = Plan.build(planning.pipeline(nodes, edges))
    assert all(not region.loop_back for region in plan.regions.values())


def test_a_loop_inside_a_split_body_runs_per_item() -> None:
    nodes = {"split": SPLIT, "loop": LOOP, "body": TASK, "after": TASK}
    edges = [
        Edge("split", "loop", "out"),
        Edge("loop", "body", "continue"),
        Edge("body", "loop", loop_back=True),
        Edge("loop", "after", "exit"),
    ]
    plan = Plan.build(planning.pipeline(nodes, edges))
    assert plan.region_of == {"split": ROOT, "loop": "split", "body": "loop", "after": "split"}


def test_a_region_lists_its_sinks() -> None:
    plan = Plan.build(planning.pipeline({"a": TASK, "b": TASK, "c": TASK}, [Edge("a", "b")]))
    assert plan.regions[ROOT].sinks == ("b", "c")


def test_a_region_lists_outgoing_edges_of_its_members() -> None:
    plan = Plan.build(planning.pipeline({"a": TASK, "b": TASK}, [Edge("a", "b")]))
    assert [e.target for e in plan.regions[ROOT].outgoing["a"]] == ["b"]


def test_join_all_names_the_members_that_wait_for_every_input() -> None:
    pipeline = Pipeline(name="p", nodes=(Node("a", TASK, join="all"), Node("b", TASK)))
    assert Plan.build(pipeline).regions[ROOT].join_all == frozenset({"a"})


def _merge_rule(config: dict[str, object]) -> tuple[str, int]:
    pipeline = Pipeline(name="p", nodes=(Node("m", "std::merge", config=config),))
    return Plan.build(pipeline).regions[ROOT].merge_rules["m"]


def test_a_merge_rule_reads_strategy_and_count() -> None:
    assert _merge_rule({"strategy": "wait_n", "count": 2}) == ("wait_n", 2)


def test_a_merge_rule_defaults_to_wait_all_and_a_count_of_one() -> None:
    assert _merge_rule({}) == ("wait_all", 1)


def test_a_merge_rule_with_a_count_that_is_not_a_number_counts_one() -> None:
    assert _merge_rule({"strategy": "count", "count": "two"}) == ("count", 1)


def test_a_plan_records_each_node_type() -> None:
    plan = Plan.build(planning.pipeline({"a": TASK, "s": SPLIT}, []))
    assert plan.node_types == {"a": TASK, "s": SPLIT}
