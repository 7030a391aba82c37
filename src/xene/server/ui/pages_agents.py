"""The agents page, `/agents`: every agent the server knows (as `GET /api/v1/agents`
lists them: online, draining or lost), with the runs each holds now."""

from __future__ import annotations

from collections import defaultdict

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from xene.server.api.deps import RuntimeDep
from xene.server.ui.pages import Viewer
from xene.server.ui.render import page
from xene.service import agents
from xene.store.base import RunSummary
from xene.store.owners import AGENT_PREFIX

router = APIRouter(include_in_schema=False)


@router.get("/agents", response_class=HTMLResponse)
async def agents_page(request: Request, who: Viewer, runtime: RuntimeDep) -> HTMLResponse:
    now, lease_s = runtime.clock.now(), runtime.config.lease_s
    views = await agents.listed(runtime.store, now, lease_s)
    held = runs_held(await runtime.store.unfinished_runs())
    rows = [{"view": v, "runs": held.get(v.record.name, [])} for v in views]
    return page(request, "agents.html", who, title="Agents", rows=rows, lease_s=lease_s)


def runs_held(unfinished: list[RunSummary]) -> dict[str, list[RunSummary]]:
    """The unfinished runs by the agent that holds them: a remote agent's runs are owned
    by `agent:NAME`; the built-in agent's by `host:pid`, which is its name."""
    held: dict[str, list[RunSummary]] = defaultdict(list)
    for run in unfinished:
        if run.owner:
            held[run.owner.removeprefix(AGENT_PREFIX)].append(run)
    return held
