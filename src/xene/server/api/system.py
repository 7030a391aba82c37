"""Probes and metrics: `/health` (alive), `/ready` (store and agent up), `/metrics`."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from xene.server import auth
from xene.server.api import deps, models
from xene.server.api.deps import RuntimeDep
from xene.server.runtime import Runtime

router = APIRouter(tags=["system"])


@router.get("/health", response_model=models.StatusOut)
async def health() -> models.StatusOut:
    """The process answers (no token needed)."""
    return models.StatusOut(status="ok")


@router.get(
    "/ready",
    response_model=models.StatusOut,
    responses={503: {"model": models.StatusOut, "description": "not ready"}},
)
async def ready(runtime: RuntimeDep) -> JSONResponse:
    """The store answers and the agent runs (no token needed)."""
    if await runtime.ready():
        return JSONResponse({"status": "ready"})
    return JSONResponse({"status": "not ready"}, status_code=503)


_VIEWER = auth.require("viewer")


async def metrics_reader(request: Request) -> None:
    """A viewer token, unless the server runs with `--metrics-public`."""
    runtime: Runtime = request.app.state.runtime
    if not runtime.config.metrics_public:
        await _VIEWER(request)


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[Depends(metrics_reader)],
    responses={
        200: {"content": {"text/plain": {}}, "description": "Prometheus text format"},
        401: deps.ERRORS[401],
        403: deps.ERRORS[403],
    },
)
async def metrics(runtime: RuntimeDep) -> Response:
    """Runs, nodes, queue depth, active runs, trigger fires, webhook latency, agents by
    state. Needs a viewer token (`Authorization: Bearer <token>`) unless the server runs
    with `--metrics-public`."""
    from xene.service import agents

    known = await agents.listed(runtime.store, runtime.clock.now(), runtime.config.lease_s)
    runtime.metrics.count_agents(view.state for view in known)
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
