"""Which nodes a retry runs again: pure, over the plan and the run's records."""

from __future__ import annotations

import pytest

from xene.core import rerun
from xene.core.plan import Plan
from xene.core.records import NodeRecord, RunRecord
from xene.core.states import State
from xene.ir import Edge, Node, Pipeline


def pipeline(*edges: tuple[str, str, str], types: dict[str, str] | None = None) -> Plan:
    names = dict.fromkeys(n for edge in edges for n in edge[:2])
    nodes = tuple(Node(n, (types or {}).get(n, "std::log")) for n in names)
    return Plan.build(Pipeline("p", nodes, tuple(Edge(a, b, port) for a, b, port in edges)))


def run(**states: str | tuple[str, tuple[str, ...]]) -> RunRecord:
    """Records by key: a state, or (state, ports)."""
    record = RunRecord("r", "w", "p")
    for key, given in states.items():
        state, ports = given if isinstance(given, tuple) else (given, ())
        node_id = key.split("[", 1)[0]
        record.nodes[key] = NodeRecord(key, node_id, "std::log", state=State(state), ports=ports)
    return record


def test_a_plain_retry_runs_again_every_node_that_did_not_succeed() -> None:
    record = run(
        a="Success", b="Error", c="NotExecuted", d="Cancelled", e="Skipped", f="Running",
    )  # fmt: skip
    assert rerun.failed(record) == ("b", "c", "d", "e", "f")


def test_an_error_an_error_port_took_is_kept() -> None:
    assert rerun.failed(run(a=("Error", ("error",)), b="Error")) == ("b",)


def test_from_a_node_runs_it_and_everything_downstream_even_what_succeeded() -> None:
    plan = pipeline(("a", "b", "out"), ("b", "c", "out"), ("a", "d", "out"))
    record = run(a="Success", b="Success", c="Error", d="Success")
    assert rerun.downstream(plan, record, "b") == ("b", "c")


def test_from_a_node_inside_a_split_restarts_the_split_and_its_items() -> None:
    plan = pipeline(
        ("items", "price", "out"), ("items", "total", "done"), ("start", "items", "out"),
        types={"items": "std::split"},
    )  # fmt: skip
    record = run(
        start="Success", items="Error", **{"price[items=0]": "Success", "price[items=1]": "Error"}
    )
    assert rerun.restart_point(plan, "price") == "items"
    assert rerun.downstream(plan, record, "price") == ("items", "price[items=0]", "price[items=1]")


def test_from_a_node_the_pipeline_does_not_have_is_a_key_error() -> None:
    with pytest.raises(KeyError, match="nope"):
        rerun.downstream(pipeline(("a", "b", "out")), run(a="Error"), "nope")
