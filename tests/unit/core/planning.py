"""Helpers of the planner tests: small pipelines and their root region."""

from __future__ import annotations

from typing import Any

from xene.core import planner
from xene.core.plan import ROOT, Plan
from xene.core.planner import Start
from xene.ir import Edge, Node, Pipeline


def check(condition: str, output: Any) -> bool:
    """The conditions of these tests: `true`, `false`, or `is V` (the data equals V), so
    a test sees which data a condition was checked against."""
    if condition.startswith("is "):
        return repr(output) == condition.removeprefix("is ")
    return condition == "true"


def pipeline(nodes: dict[str, str], edges: list[Edge], join: str = "any") -> Pipeline:
    return Pipeline(
        name="p",
        nodes=tuple(Node(id=n, type=t, join=join) for n, t in nodes.items()),  # type: ignore[arg-type]
        edges=tuple(edges),
    )


def root(pipeline: Pipeline) -> tuple[Plan, planner.RegionRun]:
    plan = Plan.build(pipeline)
    return plan, planner.open_region(plan.regions[ROOT], (), check)


def started(actions: list[planner.Action]) -> list[str]:
    return [a.node for a in actions if isinstance(a, Start)]
