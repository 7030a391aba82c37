"""The runs list, `/runs`: filters in the query string (the API's own, so a page's URL
is shareable and means what `GET /api/v1/runs` means), a cursor for older pages, and
the table kept live by runs.js over the events stream."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from xene.core.states import State
from xene.server.api.deps import RuntimeDep
from xene.server.api.run_query import RunParams, RunQuery, run_query
from xene.server.api.runs import run_page
from xene.server.runtime import Runtime
from xene.server.ui.pages import Viewer
from xene.server.ui.render import page
from xene.store.base import BY_HAND_PARAM

router = APIRouter(include_in_schema=False)
RUN_STATES = tuple(s.value for s in State if s not in (State.SKIPPED,))
"""What a run can be in (Skipped is a node's state only)."""


@router.get("/runs", response_class=HTMLResponse)
async def runs(
    request: Request,
    who: Viewer,
    runtime: RuntimeDep,
    query: Annotated[RunQuery, Depends(run_query)],
) -> HTMLResponse:
    listed = await run_page(runtime, query)
    asked = {k: v for k, v in request.query_params.items() if v and k in RunParams.model_fields}
    filters = {k: v for k, v in asked.items() if k not in ("before", "limit")}
    older = None
    if listed.next:
        older = "/runs?" + urlencode({**filters, "before": listed.next})
    return page(
        request,
        "runs.html",
        who,
        title="Runs",
        runs=listed.runs,
        asked=asked,
        filtered=bool(filters),
        paged=bool(asked.get("before")),
        newest="/runs?" + urlencode(filters) if filters else "/runs",
        older=older,
        choices=_choices(runtime),
        states=RUN_STATES,
        by_hand=BY_HAND_PARAM,
    )


def _choices(runtime: Runtime) -> dict[str, Any]:
    """The workflows, pipelines and triggers the filters offer (those applied here)."""
    workflows: set[str] = set()
    pipelines: set[str] = set()
    triggers: set[str] = set()
    for name, (_, definition) in runtime.workflows.items():
        workflows.add(name)
        pipelines.update(p.name for p in definition.pipelines)
        triggers.update(t.name for t in definition.triggers)
    return {
        "workflows": sorted(workflows),
        "pipelines": sorted(pipelines),
        "triggers": sorted(triggers),
    }
