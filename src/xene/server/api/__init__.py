"""The HTTP API of `xene serve`: FastAPI routers over a `Runtime`.

    app = create_app(runtime)              # the caller starts and stops the runtime
    app = create_app(runtime, manage=True)  # the app's lifespan does (for uvicorn)

The OpenAPI document is at `/openapi.json`, its docs pages at `/docs` and `/redoc` (served
from the package: no CDN).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI

from xene.server import auth, limits
from xene.server.api import (
    agent_work,
    agents,
    approvals,
    errors,
    hook_path,
    hooks,
    machines,
    runs,
    secrets,
    system,
    tokens,
    workflows,
)
from xene.server.runtime import Runtime

__all__ = ["LOG_POLL_S", "create_app"]

LOG_POLL_S = 0.5
"""How often a followed log (`/logs/stream`) looks for new chunks when no commit of the
run woke it (store/wakeups.py); `app.state.log_poll_s`."""


def create_app(
    runtime: Runtime, manage: bool = False, *, clock: Callable[[], float] | None = None
) -> FastAPI:
    """The API over `runtime`. With `manage`, the app's lifespan starts the runtime and
    stops it (with its grace period). `clock` (monotonic seconds) paces rate limiting:
    real time unless a test injects another."""
    config = runtime.config

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await runtime.start()
        try:
            yield
        finally:
            await runtime.stop()

    from fastapi_offline import FastAPIOffline

    # /docs and /redoc from assets in the package: they work with no Internet access.
    app = FastAPIOffline(
        title="Xene",
        summary="Workflows, runs, approvals and state machines of a Xene server",
        version="1",
        lifespan=lifespan if manage else None,
    )
    app.state.runtime = runtime
    app.state.auth = auth.Authenticator(config, runtime.store, clock=runtime.clock)
    app.state.log_poll_s = LOG_POLL_S
    errors.install(app)
    routers = (
        workflows, runs, approvals, machines, hooks, secrets, tokens, agents, agent_work, system
    )  # fmt: skip
    for module in routers:
        app.include_router(module.router)
    from xene.server import ui

    ui.install(app)
    # The last added runs first: errors are caught innermost, bodies and rates outermost.
    app.add_middleware(hook_path.HookPath)  # webhooks, without FastAPI's routing
    app.add_middleware(errors.CatchAll)
    app.add_middleware(limits.BodyLimit, max_bytes=config.max_body_bytes)
    app.add_middleware(
        limits.RateLimit,
        rate=config.rate_per_s,
        burst=config.rate_burst,
        clock=clock or time.monotonic,
    )
    return app
