"""The workflows pages: `/` (every applied workflow) and `/workflows/{name}` (one, with
its pipelines' controls and "Run now").

Each workflow is read as `GET /api/v1/workflows/{name}` reads it (the same function:
modes, circuit breakers, skipped fires, credentials masked); the page adds what a
person needs beside it: when each cron trigger fires next, each webhook's URL (never
its secret) and each pipeline's recent runs.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from xene import ir
from xene.frozen import frozen
from xene.server.api import models
from xene.server.api import workflows as workflows_api
from xene.server.api.deps import RuntimeDep
from xene.server.api.hooks import WEBHOOK_TYPES
from xene.server.runtime import NotFound, Runtime
from xene.server.ui.pages import Viewer
from xene.server.ui.render import error_page, page
from xene.store.base import RunFilter, RunSummary
from xene.triggers.cron import Schedule, next_fire

router = APIRouter(include_in_schema=False)
RECENT = 20
"""How many of a pipeline's runs its strip shows."""


@frozen
class TriggerView:
    out: models.TriggerOut
    next_fire: float | None
    """When a cron trigger fires next (None: not a cron trigger, or disabled)."""
    schedule: str
    hook_url: str | None
    """Where a webhook trigger is delivered to."""


@frozen
class PipelineView:
    out: models.PipelineOut
    triggers: list[TriggerView]
    runs: list[RunSummary]
    """Its recent runs, oldest first (the strip reads left to right)."""


@router.get("/", response_class=HTMLResponse)
async def workflows(request: Request, who: Viewer, runtime: RuntimeDep) -> HTMLResponse:
    rows = []
    for applied in await runtime.store.list_workflows():
        try:
            rows.append(await _workflow(request, runtime, applied.name))
        except NotFound:  # deleted between the list and the read
            continue
    return page(request, "workflows.html", who, title="Workflows", rows=rows)


@router.get("/workflows/{name}", response_class=HTMLResponse)
async def workflow(request: Request, name: str, who: Viewer, runtime: RuntimeDep) -> HTMLResponse:
    try:
        shown = await _workflow(request, runtime, name)
    except NotFound:
        message = f"No workflow {name!r} is applied (deleted, or never applied)."
        return error_page(request, 404, message)
    return page(request, "workflow.html", who, title=name, row=shown)


async def _workflow(request: Request, runtime: Runtime, name: str) -> dict[str, Any]:
    out = await workflows_api.get_workflow(name, runtime)
    _, definition = await runtime.workflow(name)
    now, base = runtime.clock.now(), str(request.base_url).rstrip("/")
    triggers = {t.name: t for t in definition.triggers}
    pipelines = []
    for pipeline in out.pipelines:
        flt = RunFilter(workflow=name, pipeline=pipeline.name, limit=RECENT)
        runs = list(reversed(await runtime.store.list_runs(flt)))
        views = [_trigger(t, triggers.get(t.name), name, base, now) for t in pipeline.triggers]
        pipelines.append(PipelineView(pipeline, views, runs))
    return {"workflow": out, "pipelines": pipelines}


def _trigger(
    out: models.TriggerOut, trigger: ir.Trigger | None, workflow: str, base: str, now: float
) -> TriggerView:
    upcoming, schedule, url = None, "", None
    if trigger is not None and trigger.type == "cron":
        try:
            found = Schedule.of(trigger)
            schedule = found.expression + (f" ({found.timezone})" if found.timezone else "")
            if trigger.enabled:
                upcoming = next_fire(found.expression, now, found.timezone)
        except ValueError:  # refused at apply; an older definition may still have one
            pass
    if trigger is not None and trigger.type in WEBHOOK_TYPES:
        url = base + hook_path(workflow, trigger)
    return TriggerView(out, upcoming, schedule, url)


def hook_path(workflow: str, trigger: ir.Trigger) -> str:
    """The path a webhook trigger is delivered to (api/hooks.py routes both forms)."""
    path = trigger.params.get("path")
    if isinstance(path, str) and path.strip("/"):
        return f"/api/v1/hooks/{quote(workflow, safe='')}/path/{quote(path.strip('/'))}"
    return f"/api/v1/hooks/{quote(workflow, safe='')}/{quote(trigger.name, safe='')}"
