"""The shape of a run's graph for its page: the pipeline's nodes (one box each, however
many split items or loop turns ran it) and edges, and the split or loop each node's body
belongs to. Read from the run's recorded definition, as a retry reads it."""

from __future__ import annotations

import asyncio
from typing import Any

from xene.core.plan import Plan
from xene.ir import Pipeline
from xene.server.runtime import Runtime
from xene.store.base import StoredRun


async def shape(runtime: Runtime, stored: StoredRun) -> tuple[dict[str, Any] | None, str]:
    """`(graph, "")`, or `(None, why)` when the run's definition no longer loads."""
    pipeline = runtime.pipeline_of(stored.source) or _applied(runtime, stored)
    if pipeline is None:
        from xene.engine.durable import pipeline_of_source

        try:  # a parse of the recorded text (an import, for Python): off the event loop
            pipeline = await asyncio.to_thread(pipeline_of_source, stored.source)
        except Exception as exc:  # its own error says why
            return None, f"the run's definition no longer loads, so its graph is not drawn: {exc}"
    return graph_of(pipeline), ""


def _applied(runtime: Runtime, stored: StoredRun) -> Pipeline | None:
    """The pipeline as the server loaded it, when its text is the run's (a Python one
    too, as `Runtime.labels_of` reads it: no import per page)."""
    known = runtime.workflows.get(stored.source.workflow)
    if known is None or known[0].text != stored.source.text:
        return None
    try:
        return known[1].pipeline(stored.source.pipeline)
    except KeyError:
        return None


def graph_of(pipeline: Pipeline) -> dict[str, Any]:
    """Nodes (id, type, the split or loop whose body holds it: `""` for none) and edges."""
    plan = Plan.build(pipeline)
    nodes = [
        {"id": n.id, "type": n.type, "region": plan.region_of.get(n.id, "")} for n in pipeline.nodes
    ]
    edges = [
        {
            "source": e.source,
            "target": e.target,
            "port": e.port,
            "condition": e.condition,
            "loop_back": e.loop_back,
        }
        for e in pipeline.edges
    ]
    return {"nodes": nodes, "edges": edges}
