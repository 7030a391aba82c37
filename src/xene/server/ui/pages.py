"""The UI's pages: one route each, rendered from the service layer's reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from xene.server import auth
from xene.server.api.deps import RuntimeDep
from xene.server.ui.render import page, viewer

router = APIRouter(include_in_schema=False)
Viewer = Annotated[auth.Principal, Depends(viewer)]


@router.get("/", response_class=HTMLResponse)
async def workflows(request: Request, who: Viewer, runtime: RuntimeDep) -> HTMLResponse:
    applied = await runtime.store.list_workflows()
    rows = []
    for workflow in applied:
        found = runtime.workflows.get(workflow.name)
        pipelines = [p.name for p in found[1].pipelines] if found else []
        rows.append({"workflow": workflow, "pipelines": pipelines})
    return page(request, "workflows.html", who, title="Workflows", rows=rows)
