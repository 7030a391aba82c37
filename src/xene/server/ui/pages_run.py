"""A run's page, `/runs/{id}`: its header rendered here, its graph, timeline, node
details and live logs drawn by static/run.js from the same tree `GET /api/v1/runs/{id}`
answers with `group` (embedded, so the first paint needs no second request), kept live over
`/api/v1/events` and the logs stream."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from xene.core.states import State
from xene.server import auth
from xene.server.api.approvals import list_approvals
from xene.server.api.deps import RuntimeDep
from xene.server.api.runs import run_tree
from xene.server.ui import run_graph
from xene.server.ui.pages_approvals import shown
from xene.server.ui.render import error_page, page, viewer

router = APIRouter(include_in_schema=False)
Viewer = Annotated[auth.Principal, Depends(viewer)]
RETRYABLE = (State.ERROR, State.CANCELLED)


@router.get("/runs/{run_id}", response_class=HTMLResponse)
async def run_page(run_id: str, request: Request, who: Viewer, runtime: RuntimeDep) -> HTMLResponse:
    found = await runtime.store.get_run_grouped(run_id)
    if found is None:
        message = f"There is no run {run_id!r}: it never existed or it was deleted."
        return error_page(request, 404, message)
    stored, groups = found
    tree = (await run_tree(runtime, stored, groups)).model_dump(mode="json")
    graph, why = await run_graph.shape(runtime, stored)
    record = stored.record
    data = {"run": tree, "graph_problem": why}
    waiting = (await list_approvals(runtime, run_id=run_id)).approvals
    return page(
        request,
        "run.html",
        who,
        title=f"Run {record.id}",
        run=tree,
        finished=record.state.finished,
        retryable=record.state in RETRYABLE,
        data=script_json(data),
        graph=script_json(graph),
        approvals=waiting,
        shown=shown,
    )


def script_json(data: Any) -> str:
    """JSON safe inside `<script type="application/json">`: no `</script>` can end it."""
    text = json.dumps(data, separators=(",", ":"), default=str)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
