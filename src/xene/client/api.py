"""`ApiClient`: the REST API of `xene serve` over httpx, with errors a person can act on.

Every failure is an `ApiError`: no answer ("cannot reach the server at URL: ..."), a
refused token (the server's message and how to get a token), a 4xx (the server's
`error`, and its located `problems` for an invalid definition), a 5xx.
"""

from __future__ import annotations

import json
import re
import ssl
from collections.abc import AsyncIterator, Mapping
from types import TracebackType
from typing import Any
from urllib.parse import quote

import httpx

from xene.client import sse
from xene.client.errors import ApiError

API = "/api/v1"
TIMEOUT_S = 30.0
STREAM_READ_S = 60.0
"""A followed stream sends a keep-alive every 15 s: silence for this long means it died."""
TOKEN_HINT = "xene token create --role {role} --name NAME"
_NEEDS_ROLE = re.compile(r"needs the (viewer|manager|admin) role")


def api_path(*segments: str) -> str:
    """`api_path("runs", run_id, "logs")` -> `/api/v1/runs/<run_id, escaped>/logs`."""
    return API + "".join("/" + quote(segment, safe="") for segment in segments)


Verify = bool | str | ssl.SSLContext
"""TLS: True (the system's CAs), False (no check: tests only), a CA file, or a context."""


def trusting(ca_file: str) -> ssl.SSLContext:
    """A TLS context trusting the CA in `ca_file`; ApiError (exit 2) saying what is wrong."""
    try:
        return ssl.create_default_context(cafile=ca_file)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "strerror", None) or exc
        raise ApiError(
            f"{ca_file}: cannot be read as a CA certificate ({reason}); XENE_CA or `ca:` in "
            "the config file must name a PEM file such as ~/.xene/certs/ca.pem",
            code=2,
        ) from exc


class ApiClient:
    """One server. Open with `async with`; paths start at the server's root (`API` is
    the prefix of the REST routes)."""

    def __init__(
        self,
        base_url: str,
        token: str | None = None,
        *,
        verify: Verify = True,
        timeout: float = TIMEOUT_S,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.url = base_url.rstrip("/")
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if isinstance(verify, str):  # httpx wants a context, not a path
            verify = trusting(verify)
        self._http = httpx.AsyncClient(
            base_url=self.url,
            headers=headers,
            verify=verify,
            timeout=timeout,
            transport=transport,
        )

    async def __aenter__(self) -> ApiClient:
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return await self.call("GET", path, params=params)

    async def post(
        self,
        path: str,
        *,
        json_body: Any = None,
        text: str | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """POST JSON (`json_body`) or a definition's text (`text`, sent as YAML unless
        `headers` give another Content-Type)."""
        sent = dict(headers or {})
        content: str | None = None
        if text is not None:
            content = text
            sent.setdefault("Content-Type", "application/yaml")
        elif json_body is not None:
            content = json.dumps(json_body)
            sent.setdefault("Content-Type", "application/json")
        return await self.call("POST", path, params=params, content=content, headers=sent)

    async def delete(self, path: str) -> Any:
        return await self.call("DELETE", path)

    async def call(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        content: str | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """The answer's JSON (None if empty); an `ApiError` for anything but a success."""
        request = self._http.build_request(
            method, path, params=_params(params), content=content, headers=headers
        )
        try:
            response = await self._http.send(request)
        except httpx.HTTPError as exc:
            raise self.unreachable(exc) from exc
        self.check(response, response.content)
        return response.json() if response.content else None

    async def events(
        self,
        path: str,
        params: Mapping[str, Any] | None = None,
        last_event_id: str | None = None,
    ) -> AsyncIterator[sse.Event]:
        """The Server-Sent Events of a stream, as they come."""
        headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            headers["Last-Event-ID"] = last_event_id
        timeout = httpx.Timeout(TIMEOUT_S, read=STREAM_READ_S)
        stream = self._http.stream(
            "GET", path, params=_params(params), headers=headers, timeout=timeout
        )
        try:
            async with stream as response:
                if not response.is_success:
                    self.check(response, await response.aread())
                async for event in sse.parse(response.aiter_lines()):
                    yield event
        except httpx.HTTPError as exc:
            raise self.unreachable(exc) from exc

    def unreachable(self, exc: httpx.HTTPError) -> ApiError:
        why = str(exc) or type(exc).__name__
        if isinstance(exc, httpx.TimeoutException):
            return ApiError(f"the server at {self.url} did not answer in time ({why})")
        if isinstance(exc, httpx.ConnectError):
            return ApiError(
                f"cannot reach the server at {self.url}: {why} (is `xene serve` running there?)"
            )
        if isinstance(exc, httpx.InvalidURL | httpx.UnsupportedProtocol):
            return ApiError(f"{self.url} is not a usable server URL: {why}", code=2)
        return ApiError(f"the connection to {self.url} failed: {why}")

    def check(self, response: httpx.Response, body: bytes) -> None:
        """Raise the `ApiError` a non-success answer means."""
        if response.is_success:
            return
        status = response.status_code
        message, problems = _error_of(body, response.reason_phrase or f"HTTP {status}")
        if status == 401:
            message += (
                f" — set XENE_TOKEN (or `token:` in $XENE_HOME/config.yaml) to a token of "
                f"{self.url}: `{TOKEN_HINT.format(role='viewer')}` on the server's machine"
            )
        elif status == 403:
            needed = _NEEDS_ROLE.search(message)
            role = needed.group(1) if needed else "manager"
            message += (
                " — set XENE_TOKEN to a token with that role: "
                f"`{TOKEN_HINT.format(role=role)}` on the server's machine"
            )
        elif status >= 500:
            message = f"the server at {self.url} failed ({status}): {message}"
        raise ApiError(message, status=status, problems=problems)


def _error_of(body: bytes, fallback: str) -> tuple[str, list[str]]:
    """The `error` and `problems` of a JSON error body; else the start of the text."""
    try:
        data = json.loads(body) if body else None
    except ValueError:
        text = body.decode("utf-8", "replace").strip()
        return (" ".join(text.split())[:200] or fallback), []
    if not isinstance(data, dict):
        return fallback, []
    message = str(data.get("error") or data.get("detail") or fallback)
    problems = data.get("problems")
    listed = [str(p) for p in problems] if isinstance(problems, list) else []
    return message, listed


def _params(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Query parameters without the unset ones; booleans as `true`/`false`."""
    if params is None:
        return None
    return {
        k: ("true" if v else "false") if isinstance(v, bool) else v
        for k, v in params.items()
        if v is not None
    }
