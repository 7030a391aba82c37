"""What routes depend on: the runtime, the caller's role, request bodies read as text."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import Depends, Request

from xene.server import auth
from xene.server.api.errors import ApiError
from xene.server.api.models import ErrorOut, ProblemsOut, QueueFullOut
from xene.server.runtime import Runtime


async def get_runtime(request: Request) -> Runtime:
    # `async`: FastAPI runs a plain `def` dependency on a worker thread, a thread hop
    # per request for a field read.
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]

VIEWER = Depends(auth.require("viewer"))
MANAGER = Depends(auth.require("manager"))
ADMIN = Depends(auth.require("admin"))

ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "the body is not what its content type says"},
    401: {"model": ErrorOut, "description": "no token, or a bad one"},
    403: {"model": ErrorOut, "description": "the token's role may not do this"},
    404: {"model": ErrorOut, "description": "no such thing"},
    409: {"model": ErrorOut, "description": "refused in the current state"},
    413: {"model": ErrorOut, "description": "the body is too large"},
    422: {"model": ProblemsOut, "description": "invalid parameters"},
    429: {"model": ErrorOut, "description": "too many requests"},
}
"""The error answers every `/api/v1` route may give, for the OpenAPI document."""
QUEUE_FULL: dict[int | str, dict[str, Any]] = {
    503: {
        "model": QueueFullOut,
        "description": "the server's queue is full (`xene serve --max-queued`): nothing was "
        "started; retry after the `Retry-After` header's seconds",
        "headers": {"Retry-After": {"description": "seconds", "schema": {"type": "integer"}}},
    }
}
"""The answer of routes that start runs while too many wait for an executor."""

TEXT_TYPES = ("application/yaml", "application/x-yaml", "text/yaml", "text/plain")
JSON_TYPES = ("application/json",)


def text_body(description: str) -> dict[str, Any]:
    """OpenAPI for a definition sent as the raw body (routes read it themselves)."""
    schema = {"schema": {"type": "string"}}
    content = {kind: schema for kind in (*TEXT_TYPES, *JSON_TYPES)}
    return {"requestBody": {"required": True, "description": description, "content": content}}


def json_body(description: str) -> dict[str, Any]:
    """OpenAPI for any JSON value as the (optional) body."""
    content: dict[str, Any] = {"application/json": {"schema": {}}}
    return {"requestBody": {"required": False, "description": description, "content": content}}


def media_type(request: Request) -> str:
    return request.headers.get("content-type", "").split(";")[0].strip().lower()


async def definition_text(request: Request, filename: str | None) -> tuple[str, str]:
    """The definition sent as the body, and the file name its errors are reported
    under (`workflow.json` for JSON, `workflow.yaml` otherwise, unless given)."""
    kind = media_type(request)
    if kind and kind not in (*TEXT_TYPES, *JSON_TYPES):
        known = ", ".join((*TEXT_TYPES, *JSON_TYPES))
        raise ApiError(415, f"send the definition as one of: {known} (not {kind})")
    try:
        text = (await request.body()).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, f"the body is not UTF-8 text: {exc}") from exc
    if not text.strip():
        raise ApiError(400, "the body is empty: send the definition's text")
    default = "workflow.json" if kind in JSON_TYPES else "workflow.yaml"
    name = filename or default
    if "\x00" in name or len(name) > 255:
        raise ApiError(400, "filename must be a plain file name of at most 255 characters")
    return text, name


async def json_input(request: Request) -> Any:
    """The body as one JSON value; none: None."""
    body = await request.body()
    if not body.strip():
        return None
    kind = media_type(request)
    if kind and kind != "application/json" and not kind.endswith("+json"):
        raise ApiError(415, f"send the input as application/json (not {kind})")
    try:
        return json.loads(body, parse_constant=_no_constant)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, f"the body is not JSON: {exc}") from exc


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def check_json(value: Any) -> None:
    """Refuse input that JSON cannot carry back out (NaN, Infinity)."""
    try:
        json.dumps(value, allow_nan=False)
    except (ValueError, TypeError, RecursionError) as exc:
        raise ApiError(400, f"the input cannot be kept as JSON: {exc}") from exc
