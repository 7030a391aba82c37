"""Limits on what one client may send: body size (413) and request rate (429).

Both are pure ASGI middleware, so they act before any route reads a byte.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

UNLIMITED_PATHS = ("/health", "/ready")
"""Probes are never rate limited: a load balancer asks often, from one address."""
MAX_CLIENTS = 10_000
"""Buckets kept at most; beyond that, full buckets (idle clients) are forgotten."""


async def send_error(
    send: Send, status: int, message: str, headers: tuple[tuple[bytes, bytes], ...] = ()
) -> None:
    body = json.dumps({"error": message}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyTooLarge(Exception):
    """Raised into the app as it reads past the limit; `BodyLimit` answers 413."""


class BodyLimit:
    """Refuses a request body over `max_bytes` with 413: at once when Content-Length says
    so, otherwise as soon as the streamed bytes pass the limit."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    def _message(self) -> str:
        return f"the request body is over the limit of {self.max_bytes} bytes"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = _header(scope, b"content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_bytes):
            await send_error(send, 413 if length.isdigit() else 400, self._message())
            return
        state = {"received": 0, "exceeded": False, "started": False}

        async def limited_receive() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state["received"] += len(message.get("body", b""))
                if state["received"] > self.max_bytes:
                    state["exceeded"] = True
                    raise BodyTooLarge
            return message

        async def guarded_send(message: Message) -> None:
            if state["exceeded"]:
                return  # the app answered a body it never saw whole: the 413 goes instead
            state["started"] = True
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if state["exceeded"] and not state["started"]:
            await send_error(send, 413, self._message())


class RateLimit:
    """A token bucket per client (its bearer token, else its address): `rate` requests
    per second on average, `burst` at once; over it, 429 with Retry-After."""

    def __init__(
        self,
        app: ASGIApp,
        rate: float,
        burst: int,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.rate = rate
        self.burst = max(burst, 1)
        self.clock = clock
        self.buckets: dict[str, tuple[float, float]] = {}
        """client -> (tokens left, when counted)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS or self.rate <= 0:
            await self.app(scope, receive, send)
            return
        wait = self.take(client_key(scope))
        if wait > 0:
            retry = str(max(math.ceil(wait), 1)).encode()
            message = (
                f"too many requests: {self.rate:g} per second per client, bursts of "
                f"{self.burst}; retry in {retry.decode()} s"
            )
            await send_error(send, 429, message, ((b"retry-after", retry),))
            return
        await self.app(scope, receive, send)

    def take(self, client: str) -> float:
        """Spend one token of `client`'s bucket: 0 if there was one, else the seconds
        until there will be."""
        now = self.clock()
        tokens, at = self.buckets.get(client, (float(self.burst), now))
        tokens = min(float(self.burst), tokens + (now - at) * self.rate)
        if tokens < 1:
            self.buckets[client] = (tokens, now)
            return (1 - tokens) / self.rate
        if client not in self.buckets and len(self.buckets) >= MAX_CLIENTS:
            self._forget_idle(now)
        self.buckets[client] = (tokens - 1, now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        full = [
            key
            for key, (tokens, at) in self.buckets.items()
            if tokens + (now - at) * self.rate >= self.burst
        ]
        for key in full or list(self.buckets)[: len(self.buckets) // 2]:
            del self.buckets[key]


def client_key(scope: Scope) -> str:
    authorization = _header(scope, b"authorization")
    if authorization:
        return "token:" + hashlib.sha256(authorization.encode()).hexdigest()[:32]
    client = scope.get("client")
    return f"addr:{client[0]}" if client else "addr:unknown"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value).decode("latin-1").strip()
    return None
