"""Flow semantics: ports, skips, merge, split, loop, error port, approvals, selectors."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Recorder, states
from xene.engine.engine import Engine
from xene.engine.options import Approval, ApprovalRequest
from xene.ir import Edge, Node, Pipeline


def node(node_id: str, node_type: str, **config: Any) -> Node:
    return Node(node_id, node_type, config=config)


def flow(*nodes: Node, edges: list[tuple[str, str]] | tuple[Edge, ...], **fields: Any) -> Pipeline:
    built = tuple(e if isinstance(e, Edge) else _edge(*e) for e in edges)
    return Pipeline("f", nodes=nodes, edges=built, **fields)


def _edge(source: str, target: str) -> Edge:
    name, _, port = source.partition(".")
    return Edge(name, target, port or "out")


SWITCH = node(
    "check", "std::switch", condition={"type": "greater_than", "field": "risk", "value": 0.8}
)
BRANCHES = (
    SWITCH,
    node("risky", "std::log", message="risky ${input.id}"),
    node("safe", "std::log", message="safe ${input.id}"),
    node("merge", "std::merge", strategy="wait_all"),
    node("final", "std::log", message="done"),
)
BRANCH_EDGES = [
    ("check.true", "risky"),
    ("check.false", "safe"),
    ("risky", "merge"),
    ("safe", "merge"),
    ("merge", "final"),
]


async def test_a_merge_after_a_switch_fires_with_the_branch_that_ran(
    engine: Engine, recorder: Recorder
) -> None:
    run = await engine.run(flow(*BRANCHES, edges=BRANCH_EDGES), {"id": 7, "risk": 0.9})
    assert states(run) == {
        "check": "Success",
        "risky": "Success",
        "safe": "Skipped",
        "merge": "Success",
        "final": "Success",
    }
    assert run.nodes["merge"].output == {"risky": {"id": 7, "risk": 0.9}}
    assert ("risky", None, "risky 7") in recorder.lines


async def test_a_missing_switch_field_takes_the_false_branch(engine: Engine) -> None:
    run = await engine.run(flow(*BRANCHES, edges=BRANCH_EDGES), {"id": 1})
    assert states(run)["safe"] == "Success"
    assert states(run)["risky"] == "Skipped"


async def test_a_split_runs_its_body_per_item_and_done_carries_results_in_order(
    engine: Engine,
) -> None:
    p = flow(
        node("split", "std::split", field="items"),
        node("price", "std::json_dynamic", operation="set", path="total", value="${split.item.n}"),
        node("sum", "std::aggregate", operation="sum", value_field="total", output_field="sum"),
        edges=[("split", "price"), ("split.done", "sum")],
    )
    run = await engine.run(p, {"items": [{"n": 3}, {"n": 4}, {"n": 5}]})
    assert run.succeeded, run.error
    assert [item["total"] for item in run.nodes["split"].output] == [3, 4, 5]
    assert run.nodes["sum"].output["sum"] == 12
    assert "price[split=2]" in run.nodes


async def test_an_empty_split_fires_done_at_once(engine: Engine) -> None:
    p = flow(
        node("split", "std::split", field="items"),
        node("work", "std::log", message="never"),
        node("after", "std::log", message="after"),
        edges=[("split", "work"), ("split.done", "after")],
    )
    run = await engine.run(p, {"items": []})
    assert states(run) == {"split": "Success", "after": "Success"}
    assert run.nodes["split"].output == []


async def test_a_split_over_a_missing_field_emits_on_the_error_port(engine: Engine) -> None:
    p = flow(
        node("split", "std::split", field="items"),
        node("work", "std::log", message="never"),
        node("handle", "std::log", message="handled"),
        edges=[("split", "work"), ("split.error", "handle")],
    )
    run = await engine.run(p, {"nope": 1})
    assert run.succeeded
    assert states(run) == {"split": "Error", "handle": "Success"}


async def test_a_loop_runs_its_body_until_max_iterations_then_exits(
    engine: Engine, recorder: Recorder
) -> None:
    p = flow(
        node("loop", "std::loop", max_iterations=3),
        node("body", "std::log", message="iteration ${loop.iteration}"),
        node("after", "std::log", message="after"),
        edges=(
            Edge("loop", "body", "continue"),
            Edge("body", "loop", loop_back=True),
            Edge("loop", "after", "exit"),
        ),
    )
    run = await engine.run(p, {"x": 1})
    assert run.succeeded, run.error
    assert [line for key, _, line in recorder.lines if key.startswith("body")] == [
        "iteration 0",
        "iteration 1",
        "iteration 2",
    ]
    assert states(run)["after"] == "Success"


async def test_a_handled_error_goes_to_the_error_port_and_the_run_goes_on(
    engine: Engine,
) -> None:
    p = flow(
        node("agg", "std::aggregate", operation="sum", source="values"),
        node("ok", "std::log", message="ok"),
        node("recover", "std::log", message="recovered"),
        edges=[("agg", "ok"), ("agg.error", "recover")],
    )
    run = await engine.run(p, {"values": ["a", "b"]})
    assert run.succeeded
    assert states(run) == {"agg": "Error", "ok": "Skipped", "recover": "Success"}


async def test_an_unhandled_error_port_fails_the_run(engine: Engine) -> None:
    p = flow(node("agg", "std::aggregate", operation="sum", source="values"), edges=[])
    run = await engine.run(p, {"values": ["a"]})
    assert str(run.state) == "Error"


async def test_a_node_that_raises_fails_the_run_and_independent_nodes_still_run(
    engine: Engine,
) -> None:
    p = flow(
        node("boom", "std::python", call="tests.integration.helpers:explode"),
        node("after", "std::log", message="never"),
        node("other", "std::log", message="independent"),
        edges=[("boom", "after")],
    )
    run = await engine.run(p)
    assert states(run) == {"boom": "Error", "after": "NotExecuted", "other": "Success"}
    assert "kaboom" in (run.nodes["boom"].error or "")


async def test_a_node_type_without_implementation_fails_the_run(engine: Engine) -> None:
    run = await engine.run(flow(node("x", "std::nope"), edges=[]))
    assert str(run.state) == "Error"
    assert run.nodes["x"].error == "node type 'std::nope' has no implementation"


async def test_selectors_resolve_node_outputs_and_pipeline_config(
    engine: Engine, recorder: Recorder
) -> None:
    p = flow(
        node("first", "std::map", mappings=[{"from": "a", "to": "b"}]),
        node("say", "std::log", message="b=${first.b} limit=${pipeline.config.limit}"),
        edges=[("first", "say")],
        config={"limit": 10},
    )
    await engine.run(p, {"a": 5})
    assert ("say", None, "b=5 limit=10") in recorder.lines


@pytest.mark.parametrize(
    ("decision", "branch"),
    [("approve", "approved"), ("reject", "rejected"), ("escalate", "escalated")],
)
async def test_a_wait_node_continues_on_the_port_of_the_decision(
    engine: Engine, decision: str, branch: str
) -> None:
    asked: list[ApprovalRequest] = []

    async def approver(request: ApprovalRequest) -> Approval:
        asked.append(request)
        return Approval(decision, reason="test")  # type: ignore[arg-type]

    p = flow(
        node("gate", "std::wait", hook_id="deploy", metadata_fields=["amount"]),
        node("approved", "std::log", message="go"),
        node("rejected", "std::log", message="no"),
        node("escalated", "std::log", message="up"),
        edges=[
            ("gate", "approved"),
            ("gate.rejected", "rejected"),
            ("gate.escalated", "escalated"),
        ],
    )
    run = await engine.with_options(approver=approver).run(p, {"amount": 5})
    assert states(run)[branch] == "Success"
    assert asked[0].hook_id == f"deploy-{run.id[-8:]}"
    assert asked[0].metadata == {"amount": 5}


async def test_a_wait_node_without_an_approver_fails_saying_how_to_decide(engine: Engine) -> None:
    run = await engine.run(flow(node("gate", "std::wait"), edges=[]))
    assert "--approve gate=approve" in (run.nodes["gate"].error or "")


async def test_what_python_code_prints_is_its_nodes_output(
    engine: Engine, recorder: Recorder
) -> None:
    p = flow(
        node("sync", "std::python", call="tests.integration.helpers:chatty"),
        node("async", "std::python", call="tests.integration.helpers:chatty_async"),
        edges=[],
    )
    run = await engine.run(p, {})
    assert run.succeeded
    assert sorted(recorder.lines) == [
        ("async", None, "hello from the loop"),
        ("sync", None, "hello from a thread"),
        ("sync", None, "two parts"),
    ]
