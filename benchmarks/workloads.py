"""The benchmark workloads of DESIGN.md §7, as IR pipelines and as definition files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xene.ir import TASK, Edge, Node, Pipeline, Step

NOOP = "std::json_dynamic"
NOOP_CONFIG = {"operation": "passthrough"}


def chain(n: int = 500) -> Pipeline:
    """n no-op nodes, each depending on the previous."""
    nodes = tuple(Node(f"n{i}", NOOP, config=NOOP_CONFIG) for i in range(n))
    edges = tuple(Edge(f"n{i}", f"n{i + 1}") for i in range(n - 1))
    return Pipeline(name=f"chain-{n}", nodes=nodes, edges=edges)


def fanout(n: int = 500) -> Pipeline:
    """1 -> n independent no-ops -> 1 join collecting every result."""
    middle = tuple(Node(f"n{i}", NOOP, config=NOOP_CONFIG) for i in range(n))
    nodes = (
        Node("start", NOOP, config=NOOP_CONFIG),
        *middle,
        Node("join", "std::merge", config={"strategy": "wait_all"}),
    )
    edges = tuple(Edge("start", m.id) for m in middle) + tuple(Edge(m.id, "join") for m in middle)
    return Pipeline(name=f"fanout-{n}", nodes=nodes, edges=edges, max_concurrency=n)


def split_chain(n: int = 10_000) -> Pipeline:
    """n/2 splits in a chain (each one's `done` starts the next), each with a one-node
    body: the shape whose plan is built per construct."""
    nodes: list[Node] = []
    edges: list[Edge] = []
    for i in range(n // 2):
        nodes += [Node(f"s{i}", "std::split", config={"field": "items"}), Node(f"b{i}", NOOP)]
        edges.append(Edge(f"s{i}", f"b{i}", "out"))
        if i:
            edges.append(Edge(f"s{i - 1}", f"s{i}", "done"))
    return Pipeline(name=f"splits-{n}", nodes=tuple(nodes), edges=tuple(edges))


def shell(n: int = 100, concurrency: int = 2) -> Pipeline:
    """n independent tasks, each running `true` as a subprocess, `concurrency` at a time."""
    nodes = tuple(
        Node(f"t{i}", TASK, steps=(Step("true", cmd="true"),), join="all") for i in range(n)
    )
    return Pipeline(name=f"shell-{n}", nodes=nodes, max_concurrency=concurrency)


def split(n: int, concurrency: int = 8) -> Pipeline:
    """A split over the input's `items` (n of them, `split_input(n)`): each runs a
    std::log body with a timeout, so not inline (it is committed before it runs), then
    a count of the results."""
    nodes = (
        Node("split", "std::split", config={"field": "items"}),
        Node("body", "std::log", config={"message": "item ${split.item.id}"}, timeout_s=60),
        Node("total", "std::aggregate", config={"operation": "count", "output_field": "n"}),
    )
    edges = (Edge("split", "body"), Edge("split", "total", port="done"))
    return Pipeline(name=f"split-{n}", nodes=nodes, edges=edges, max_concurrency=concurrency)


def split_input(n: int) -> dict[str, Any]:
    return {"items": [{"id": i} for i in range(n)]}


def as_flow(pipeline: Pipeline) -> dict[str, Any]:
    """A flow-format document for a pipeline of std nodes."""
    return {
        "name": pipeline.name,
        "version": "1.0",
        "settings": {"max_concurrent_executions": pipeline.max_concurrency},
        "nodes": {n.id: {"type": n.type, "config": dict(n.config)} for n in pipeline.nodes},
        "edges": [{"from": e.source, "to": e.target} for e in pipeline.edges],
    }


def as_manifest(pipeline: Pipeline) -> dict[str, Any]:
    """A Xene manifest for a pipeline of shell tasks."""
    tasks = {
        n.id: {"steps": [{"name": s.name, "type": "shell", "cmd": s.cmd} for s in n.steps]}
        for n in pipeline.nodes
    }
    return {
        "kind": "Workflow",
        "apiVersion": "v1alpha1",
        "metadata": {"name": pipeline.name},
        "spec": {
            "triggers": {"manual": {"type": "manual"}},
            "pipelines": {
                pipeline.name: {
                    "trigger": "manual",
                    "maxConcurrency": pipeline.max_concurrency,
                    "tasks": tasks,
                }
            },
        },
    }


def write(directory: Path, name: str, document: dict[str, Any]) -> Path:
    path = directory / f"{name}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


ONE_NODE = {
    "name": "one",
    "version": "1.0",
    "nodes": {"only": {"type": NOOP, "config": NOOP_CONFIG}},
    "edges": [],
}
