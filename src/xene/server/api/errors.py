"""Every error is JSON `{"error": message}`: never a traceback, never a 500 for bad input."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from xene.errors import InvalidDefinition, NotRunnable
from xene.server.limits import ASGIApp, BodyTooLarge, Message, Receive, Scope, Send, send_error
from xene.server.pressure import QueueFull
from xene.server.runtime import Conflict, NotFound

log = logging.getLogger("xene.server.api")
Handler = Callable[[Request, Exception], Awaitable[Response]]


class ApiError(Exception):
    """An answer other than success, with a status and a body beyond `error`."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.extra = extra


def install(app: FastAPI) -> None:
    for kind, handler in _HANDLERS.items():
        app.add_exception_handler(kind, handler)


def handler_for(exc: Exception) -> Handler | None:
    """The handler `install` gives the app for `exc` (the nearest class's, as Starlette
    looks it up), for a route served outside FastAPI's routing (hook_path.py)."""
    return next((_HANDLERS[k] for k in type(exc).__mro__ if k in _HANDLERS), None)


def located(error: dict[str, Any]) -> str:
    where = ".".join(str(part) for part in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


async def _invalid_request(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = [located(error) for error in exc.errors()]
    return JSONResponse({"error": "invalid request", "problems": problems}, status_code=422)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    from xene.server.ui.render import error_page, wants_page

    if wants_page(request):  # a browser on a page: the UI's page, not JSON
        return error_page(request, exc.status_code, str(exc.detail))
    return JSONResponse({"error": str(exc.detail)}, exc.status_code, headers=exc.headers)


def _status(status: int) -> Handler:
    async def handler(request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"error": str(exc)}, status_code=status)

    return handler


async def _invalid_definition(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, InvalidDefinition)
    problems = [str(problem) for problem in exc.problems]
    return JSONResponse({"error": "invalid definition", "problems": problems}, status_code=400)


async def _not_runnable(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, NotRunnable)
    problems = [str(problem) for problem in exc.problems]
    body = {"error": "the definition is valid but cannot run yet", "problems": problems}
    return JSONResponse(body, status_code=422)


async def _queue_full(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, QueueFull)
    body = {"error": str(exc), "queued": exc.queued, "max_queued": exc.limit}
    headers = {"Retry-After": str(exc.retry_after_s)}
    return JSONResponse(body, status_code=503, headers=headers)


async def _api_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ApiError)
    return JSONResponse({"error": str(exc), **exc.extra}, status_code=exc.status)


_HANDLERS: dict[type[Exception], Handler] = {
    RequestValidationError: _invalid_request,
    HTTPException: _http_error,
    NotFound: _status(404),
    Conflict: _status(409),
    InvalidDefinition: _invalid_definition,
    NotRunnable: _not_runnable,
    ApiError: _api_error,
    QueueFull: _queue_full,
}


class CatchAll:
    """Anything unexpected: a 500 with a short message and one log line (with the
    traceback), instead of the server's plain-text error page."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracked(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracked)
        except BodyTooLarge:
            raise  # not an error of ours: BodyLimit, outside, answers 413
        except Exception as exc:
            log.exception(
                "%s %s failed: %s",
                scope.get("method"),
                scope.get("path"),
                exc,
                extra={"action": "api-error"},
            )
            if not started:
                await send_error(send, 500, f"internal error ({type(exc).__name__}); see the log")
