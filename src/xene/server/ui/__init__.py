"""The web UI of `xene serve`, at `/`: pages rendered on the server over the service
layer, small scripts of the package's own (and vendored libraries, with their licences,
under static/vendor/) calling the API's routes. No Node toolchain: nothing is built.

    install(app)   # by create_app, after the API's routers
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from xene.server.ui import (
    assets,
    pages,
    pages_agents,
    pages_approvals,
    pages_machines,
    pages_run,
    pages_runs,
    pages_workflows,
    session,
)
from xene.server.ui.render import SignIn, to_sign_in


def install(app: FastAPI) -> None:
    app.include_router(assets.router)
    app.include_router(session.router)
    app.include_router(pages.router)
    app.include_router(pages_workflows.router)
    app.include_router(pages_agents.router)
    app.include_router(pages_machines.router)
    app.include_router(pages_runs.router)
    app.include_router(pages_approvals.router)
    app.include_router(pages_run.router)

    async def sign_in(request: Request, exc: Exception) -> Response:
        return to_sign_in(request)

    app.add_exception_handler(SignIn, sign_in)
