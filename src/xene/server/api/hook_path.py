"""The webhook route `POST /api/v1/hooks/{workflow}/{trigger}` served beside FastAPI's
routing, the server's busiest route by far: FastAPI's route matching (every route in
turn), dependency solving and response validation cost about as much CPU as queueing
the run. The same code delivers (`hooks.deliver_named`), the same middleware wraps it
(rate and body limits, the 500 of last resort), its errors are answered by the
handlers `errors.install` gives the app, and the route stays in the OpenAPI document;
any other path (`/hooks/w/path/...`, a trailing slash) goes on to FastAPI.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from xene.server.api import errors, hooks
from xene.server.limits import ASGIApp, Receive, Scope, Send

PREFIX = "/api/v1/hooks/"


class HookPath:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        names = _hook(scope)
        if names is None:
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        response = Response()
        try:
            out = await hooks.deliver_named(request, response, scope["app"].state.runtime, *names)
        except Exception as exc:
            handler = errors.handler_for(exc)
            if handler is None:
                raise  # CatchAll, outside, answers 500
            await (await handler(request, exc))(scope, receive, send)
            return
        body = out.model_dump_json().encode()  # what FastAPI's response model gives
        answer = Response(body, response.status_code, media_type="application/json")
        await answer(scope, receive, send)


def _hook(scope: Scope) -> tuple[str, str] | None:
    """(workflow, trigger) of a webhook delivery FastAPI would route to `deliver`."""
    if scope["type"] != "http" or scope["method"] != "POST":
        return None
    path: str = scope["path"]
    if not path.startswith(PREFIX) or scope.get("root_path"):
        return None
    workflow, slash, trigger = path[len(PREFIX) :].partition("/")
    if not workflow or not slash or not trigger or "/" in trigger:
        return None
    return workflow, trigger
