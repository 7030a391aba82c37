"""The planner's readiness rules, each pinned on its own: failures, skips, entries, merges,
and the data a condition is checked against."""

from __future__ import annotations

from tests.unit.core import planning
from xene.core import planner
from xene.core.plan import ROOT, Plan
from xene.core.planner import RegionDone, Skip, Start
from xene.core.states import State
from xene.ir import TASK, Edge, Node, Pipeline


def _skips(actions: list[planner.Action]) -> dict[str, State]:
    return {a.node: a.state for a in actions if isinstance(a, Skip)}


def _merge(strategy: str, count: int = 1) -> Pipeline:
    return Pipeline(
        name="p",
        nodes=(
            Node("a", TASK),
            Node("b", TASK),
            Node("c", TASK),
            Node("m", "std::merge", config={"strategy": strategy, "count": count}),
        ),
        edges=(Edge("a", "m"), Edge("b", "m"), Edge("c", "m")),
    )


def test_a_region_with_a_failed_member_is_marked_failed() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK}, []))
    planner.enter(run, None)
    planner.finish(run, "a", (), None, failed=True)
    assert run.failed


def test_a_region_whose_members_succeeded_is_not_marked_failed() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK}, []))
    planner.enter(run, None)
    planner.finish(run, "a", ("out",), 1)
    assert not run.failed


def test_a_region_keeps_the_outputs_of_members_that_succeeded_only() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK, "b": TASK}, []))
    planner.enter(run, None)
    planner.finish(run, "a", ("out",), "A")
    planner.finish(run, "b", ("out",), "B", failed=True)
    assert run.outputs == {"a": "A"}


def test_the_successors_of_a_skipped_node_are_skipped() -> None:
    edges = [Edge("a", "b", condition="false"), Edge("b", "c"), Edge("c", "d")]
    _, run = planning.root(planning.pipeline(dict.fromkeys("abcd", TASK), edges))
    planner.enter(run, None)
    actions = planner.finish(run, "a", ("out",), 1)
    assert _skips(actions) == {"b": State.SKIPPED, "c": State.SKIPPED, "d": State.SKIPPED}


def test_a_skipped_node_counts_as_ended_for_the_region() -> None:
    edges = [Edge("a", "b", condition="false")]
    _, run = planning.root(planning.pipeline({"a": TASK, "b": TASK}, edges))
    planner.enter(run, None)
    assert isinstance(planner.finish(run, "a", ("out",), 1)[-1], RegionDone)


def test_a_node_after_a_failed_one_is_not_executed() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK, "b": TASK}, [Edge("a", "b")]))
    planner.enter(run, None)
    assert _skips(planner.finish(run, "a", (), None, failed=True)) == {"b": State.NOT_EXECUTED}


def test_enter_starts_every_entry_node() -> None:
    _, run = planning.root(planning.pipeline(dict.fromkeys("abc", TASK), [Edge("a", "c")]))
    assert planning.started(planner.enter(run, "in")) == ["a", "b"]


def test_every_entry_node_gets_the_entry_input() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK, "b": TASK}, []))
    actions = planner.enter(run, "in")
    assert [a.input for a in actions if isinstance(a, Start)] == ["in", "in"]


def test_an_entry_node_starts_in_its_region_with_no_fired_inputs() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK}, []))
    start = planner.enter(run, "in")[0]
    assert isinstance(start, Start)
    assert (start.region, dict(start.inputs)) == (run, {})


def test_a_region_done_on_entry_names_its_region() -> None:
    _, run = planning.root(planning.pipeline({}, []))
    done = planner.enter(run, None)[-1]
    assert isinstance(done, RegionDone)
    assert done.region is run


def test_a_skip_names_its_region() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK, "b": TASK}, [Edge("a", "b", "error")]))
    planner.enter(run, None)
    skip = planner.finish(run, "a", ("out",), 1)[0]
    assert isinstance(skip, Skip)
    assert skip.region is run


def test_a_region_is_not_done_on_entry_while_members_wait() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK}, []))
    assert not any(isinstance(a, RegionDone) for a in planner.enter(run, None))


def test_edges_after_one_into_a_started_node_are_still_decided() -> None:
    pipeline = Pipeline(
        name="p",
        nodes=(
            Node("a", TASK),
            Node("b", TASK),
            Node("m", "std::merge", config={"strategy": "first_arrival"}),
            Node("x", TASK),
        ),
        edges=(Edge("a", "m"), Edge("b", "m"), Edge("b", "x")),
    )
    _, run = planning.root(pipeline)
    planner.enter(run, None)
    planner.finish(run, "a", ("out",), 1)
    assert planning.started(planner.finish(run, "b", ("out",), 2)) == ["x"]


def test_an_edge_condition_is_checked_against_the_output_it_carries() -> None:
    edges = [Edge("a", "b", condition="is 7"), Edge("a", "c", condition="is 8")]
    _, run = planning.root(planning.pipeline(dict.fromkeys("abc", TASK), edges))
    planner.enter(run, None)
    assert planning.started(planner.finish(run, "a", ("out",), 7)) == ["b"]


def test_an_edge_on_a_port_the_node_did_not_emit_does_not_fire() -> None:
    edges = [Edge("a", "b", "error"), Edge("a", "c")]
    _, run = planning.root(planning.pipeline(dict.fromkeys("abc", TASK), edges))
    planner.enter(run, None)
    assert planning.started(planner.finish(run, "a", ("out",), 1)) == ["c"]


def test_a_body_entry_edge_condition_is_checked_against_the_entry_input() -> None:
    nodes = {"split": "std::split", "yes": TASK, "no": TASK}
    edges = [
        Edge("split", "yes", "out", condition="is 'item'"),
        Edge("split", "no", "out", condition="is 'other'"),
    ]
    plan = Plan.build(planning.pipeline(nodes, edges))
    body = planner.open_region(plan.regions["split"], (("split", 0),), planning.check)
    assert planning.started(planner.enter(body, "item")) == ["yes"]


def test_a_body_entry_edge_whose_condition_is_false_skips_its_target() -> None:
    nodes = {"split": "std::split", "no": TASK}
    plan = Plan.build(planning.pipeline(nodes, [Edge("split", "no", "out", condition="false")]))
    body = planner.open_region(plan.regions["split"], (("split", 0),), planning.check)
    assert _skips(planner.enter(body, "item")) == {"no": State.SKIPPED}


def test_a_node_with_one_fired_input_gets_that_input_and_its_source() -> None:
    _, run = planning.root(planning.pipeline({"a": TASK, "b": TASK}, [Edge("a", "b")]))
    planner.enter(run, None)
    start = planner.finish(run, "a", ("out",), 5)[0]
    assert isinstance(start, Start)
    assert (start.input, dict(start.inputs)) == (5, {"a": 5})


def test_an_any_merge_fires_at_the_first_input() -> None:
    _, run = planning.root(_merge("any"))
    planner.enter(run, None)
    assert planning.started(planner.finish(run, "b", ("out",), 2)) == ["m"]


def test_a_count_merge_fires_once_count_inputs_arrived() -> None:
    _, run = planning.root(_merge("count", 2))
    planner.enter(run, None)
    assert planning.started(planner.finish(run, "a", ("out",), 1)) == []
    assert planning.started(planner.finish(run, "c", ("out",), 3)) == ["m"]


def test_a_wait_all_merge_waits_for_every_input() -> None:
    _, run = planning.root(_merge("wait_all"))
    planner.enter(run, None)
    planner.finish(run, "a", ("out",), 1)
    assert planning.started(planner.finish(run, "b", ("out",), 2)) == []


def test_a_wait_n_merge_whose_inputs_all_ended_short_of_n_fires_with_what_came() -> None:
    _, run = planning.root(_merge("wait_n", 3))
    planner.enter(run, None)
    planner.finish(run, "a", ("out",), 1)
    planner.finish(run, "b", (), None, failed=True)
    assert planning.started(planner.finish(run, "c", ("out",), 3)) == ["m"]


def test_a_join_all_task_starts_when_every_dependency_fired() -> None:
    edges = [Edge("a", "c"), Edge("b", "c")]
    _, run = planning.root(planning.pipeline(dict.fromkeys("abc", TASK), edges, "all"))
    planner.enter(run, None)
    assert planning.started(planner.finish(run, "a", ("out",), 1)) == []
    assert planning.started(planner.finish(run, "b", ("out",), 2)) == ["c"]


def test_a_join_all_task_with_an_unfired_dependency_is_skipped() -> None:
    edges = [Edge("a", "c"), Edge("b", "c", condition="false")]
    _, run = planning.root(planning.pipeline(dict.fromkeys("abc", TASK), edges, "all"))
    planner.enter(run, None)
    planner.finish(run, "a", ("out",), 1)
    assert _skips(planner.finish(run, "b", ("out",), 2)) == {"c": State.SKIPPED}


def test_a_loop_body_does_not_loop_back_when_its_condition_fails_for_the_output() -> None:
    body = _loop_body(condition="is 2")
    planner.enter(body, 1)
    planner.finish(body, "body", ("out",), 3)
    assert not body.looped_back


def test_a_loop_body_loops_back_when_its_condition_holds_for_the_output() -> None:
    body = _loop_body(condition="is 2")
    planner.enter(body, 1)
    planner.finish(body, "body", ("out",), 2)
    assert body.looped_back


def test_a_failed_loop_body_does_not_loop_back() -> None:
    body = _loop_body()
    planner.enter(body, 1)
    planner.finish(body, "body", ("out",), 2, failed=True)
    assert (body.looped_back, body.loop_back_output) == (False, None)


def test_a_loop_body_that_emits_another_port_does_not_loop_back() -> None:
    body = _loop_body()
    planner.enter(body, 1)
    planner.finish(body, "body", ("error",), 2)
    assert not body.looped_back


def _loop_body(condition: str | None = None) -> planner.RegionRun:
    nodes = {"loop": "std::loop", "body": TASK}
    edges = [
        Edge("loop", "body", "continue"),
        Edge("body", "loop", condition=condition, loop_back=True),
    ]
    plan = Plan.build(planning.pipeline(nodes, edges))
    return planner.open_region(plan.regions["loop"], (("loop", 0),), planning.check)


def test_the_root_region_of_a_plan_holds_the_top_level_nodes() -> None:
    plan = Plan.build(planning.pipeline({"a": TASK}, []))
    assert plan.regions[ROOT].members == ("a",)
