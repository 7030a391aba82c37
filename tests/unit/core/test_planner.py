from __future__ import annotations

from tests.unit.core import planning
from xene.core import planner
from xene.core.plan import ROOT, Plan
from xene.core.planner import RegionDone, Skip
from xene.core.states import State
from xene.ir import TASK, Edge, Node, Pipeline


def test_entry_nodes_start_with_the_run_input() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK, "b": TASK}, [Edge("a", "b")]))
    actions = planner.enter(run, {"x": 1})
    assert planning.started(actions) == ["a"]
    assert actions[0].input == {"x": 1}  # type: ignore[union-attr]


def test_a_chain_starts_each_node_after_the_previous() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK, "b": TASK}, [Edge("a", "b")]))
    planner.enter(run, None)
    actions = planner.finish(run, "a", ("out",), 5)
    assert planning.started(actions) == ["b"]
    assert actions[0].input == 5  # type: ignore[union-attr]


def test_the_region_is_done_when_every_member_ended() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK}, []))
    planner.enter(run, None)
    assert isinstance(planner.finish(run, "a", ("out",), 1)[-1], RegionDone)


def test_join_all_leaves_a_task_not_executed_when_a_dependency_failed() -> None:
    nodes = {"a": TASK, "b": TASK, "c": TASK, "d": TASK}
    edges = [Edge("a", "c"), Edge("b", "c"), Edge("c", "d")]
    _, run = planning.root(planning.pipeline(nodes, edges, join="all"))
    planner.enter(run, None)
    planner.finish(run, "a", (), None, failed=True)
    actions = planner.finish(run, "b", ("out",), 1)
    skips = {a.node: a.state for a in actions if isinstance(a, Skip)}
    assert skips == {"c": State.NOT_EXECUTED, "d": State.NOT_EXECUTED}
    assert isinstance(actions[-1], RegionDone)


def test_join_all_with_every_dependency_fired_gets_inputs_by_source() -> None:
    edges = [Edge("a", "c"), Edge("b", "c")]
    _, run = planning.root(planning.pipeline({"a": TASK, "b": TASK, "c": TASK}, edges, "all"))
    planner.enter(run, None)
    planner.finish(run, "a", ("out",), 1)
    actions = planner.finish(run, "b", ("out",), 2)
    assert actions[0].input == {"a": 1, "b": 2}  # type: ignore[union-attr]


def test_an_untaken_switch_branch_is_skipped_and_the_merge_fires_with_the_taken_one() -> None:
    nodes = {"s": "std::switch", "yes": "std::log", "no": "std::log"}
    nodes |= {"m": "std::merge", "end": "std::log"}
    edges = [
        Edge("s", "yes", "true"),
        Edge("s", "no", "false"),
        Edge("yes", "m"),
        Edge("no", "m"),
        Edge("m", "end"),
    ]
    _, run = planning.root(planning.pipeline(nodes, edges))
    planner.enter(run, None)
    actions = planner.finish(run, "s", ("true",), {"v": 1})
    assert planning.started(actions) == ["yes"]
    assert [(a.node, a.state) for a in actions if isinstance(a, Skip)] == [("no", State.SKIPPED)]
    actions = planner.finish(run, "yes", ("out",), "Y")
    assert planning.started(actions) == ["m"]
    assert actions[0].inputs == {"yes": "Y"}  # type: ignore[union-attr]
    assert planning.started(planner.finish(run, "m", ("out",), {"yes": "Y"})) == ["end"]


def test_a_first_arrival_merge_fires_before_its_other_inputs_end() -> None:
    pipeline = Pipeline(
        name="p",
        nodes=(
            Node("a", TASK),
            Node("b", TASK),
            Node("m", "std::merge", config={"strategy": "first_arrival"}),
        ),
        edges=(Edge("a", "m"), Edge("b", "m")),
    )
    _, run = planning.root(pipeline)
    planner.enter(run, None)
    assert planning.started(planner.finish(run, "b", ("out",), 2)) == ["m"]
    assert planning.started(planner.finish(run, "a", ("out",), 1)) == []


def test_an_edge_condition_gates_firing() -> None:
    edges = [Edge("a", "b", condition="false"), Edge("a", "c", condition="true")]
    _, run = planning.root(planning.pipeline({"a": TASK, "b": TASK, "c": TASK}, edges))
    planner.enter(run, None)
    actions = planner.finish(run, "a", ("out",), 1)
    assert planning.started(actions) == ["c"]
    assert [a.node for a in actions if isinstance(a, Skip)] == ["b"]


def test_a_split_body_is_its_own_region_and_done_edges_count_in_the_parent() -> None:
    nodes = {"split": "std::split", "work": TASK, "join": "std::aggregate"}
    edges = [Edge("split", "work", "out"), Edge("split", "join", "done")]
    plan = Plan.build(planning.pipeline(nodes, edges))
    assert plan.region_of == {"split": ROOT, "work": "split", "join": ROOT}
    assert [e.source for e in plan.regions[ROOT].incoming["join"]] == ["split"]


def test_an_edge_leaving_a_split_body_counts_as_the_split_done() -> None:
    nodes = {"split": "std::split", "work": TASK, "join": "std::aggregate"}
    edges = [Edge("split", "work", "out"), Edge("work", "join"), Edge("split", "join", "done")]
    plan = Plan.build(planning.pipeline(nodes, edges))
    assert [(e.source, e.port) for e in plan.regions[ROOT].incoming["join"]] == [
        ("split", "done"),
        ("split", "done"),
    ]


def test_without_a_done_edge_everything_after_a_split_runs_per_item() -> None:
    nodes = {"split": "std::split", "work": TASK, "after": TASK}
    plan = Plan.build(
        planning.pipeline(nodes, [Edge("split", "work", "out"), Edge("work", "after")])
    )
    assert plan.region_of["after"] == "split"


def test_a_loop_body_region_records_its_loop_back_edge() -> None:
    nodes = {"loop": "std::loop", "body": TASK, "after": TASK}
    edges = [
        Edge("loop", "body", "continue"),
        Edge("body", "loop", loop_back=True),
        Edge("loop", "after", "exit"),
    ]
    plan = Plan.build(planning.pipeline(nodes, edges))
    assert plan.region_of["body"] == "loop"
    assert set(plan.regions["loop"].loop_back) == {"body"}
    body = planner.open_region(plan.regions["loop"], (("loop", 0),), planning.check)
    assert planning.started(planner.enter(body, 1)) == ["body"]
    planner.finish(body, "body", ("out",), 2)
    assert body.looped_back
    assert body.loop_back_output == 2


def test_instance_keys_name_the_enclosing_items() -> None:
    assert planner.instance_key("n", (("s", 3), ("l", 0))) == "n[s=3][l=0]"


def test_a_wait_n_merge_fires_once_n_inputs_arrived() -> None:
    pipeline = Pipeline(
        name="p",
        nodes=(
            Node("a", TASK),
            Node("b", TASK),
            Node("c", TASK),
            Node("m", "std::merge", config={"strategy": "wait_n", "count": 2}),
        ),
        edges=(Edge("a", "m"), Edge("b", "m"), Edge("c", "m")),
    )
    _, run = planning.root(pipeline)
    planner.enter(run, None)
    assert planning.started(planner.finish(run, "a", ("out",), 1)) == []
    assert planning.started(planner.finish(run, "c", ("out",), 3)) == ["m"]


def test_a_split_with_an_empty_body_region_is_done_at_once() -> None:
    plan = Plan.build(
        planning.pipeline({"split": "std::split", "after": TASK}, [Edge("split", "after", "done")])
    )
    body = planner.open_region(plan.regions["split"], (("split", 0),), planning.check)
    assert isinstance(planner.enter(body, 1)[-1], RegionDone)


def test_an_edge_into_a_body_from_outside_its_split_is_never_counted() -> None:
    nodes = {"split": "std::split", "work": TASK, "stray": TASK}
    edges = [Edge("split", "work", "out"), Edge("stray", "work")]
    plan = Plan.build(planning.pipeline(nodes, edges))
    assert [e.source for e in plan.regions["split"].incoming["work"]] == ["split"]


def test_reachable_visits_a_diamond_once_per_node() -> None:
    from xene.core.dag import Graph

    graph = Graph.build("abcd", [Edge("a", "b"), Edge("a", "c"), Edge("b", "d"), Edge("c", "d")])
    assert graph.reachable(["a"]) == {"a", "b", "c", "d"}
