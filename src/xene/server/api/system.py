"""Probes and metrics: `/health` (alive), `/ready` (store and agent up), `/metrics`."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from xene.server.api import models
from xene.server.api.deps import VIEWER, RuntimeDep

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


@router.get(
    "/metrics",
    response_class=Response,
    dependencies=[VIEWER],
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
async def metrics(runtime: RuntimeDep) -> Response:
    """Runs, nodes, queue depth, active runs, trigger fires, webhook latency."""
    return Response(runtime.metrics.render(), media_type=CONTENT_TYPE_LATEST)
