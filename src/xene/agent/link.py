"""The agent's connection to its servers: any of them will do, since they share one
store. Requests go to the server that answered last; when it cannot be reached the next
one is tried, round the list once, before the request fails with `Unreachable`.

Heartbeats have a connection pool of their own (`CONTROL`), with short timeouts, so that
a long poll for work or a slow upload never holds one back.

httpcore (httpx's own transport) rather than httpx: an idle agent should cost little
memory, and httpx's conveniences cost 8 MiB of imports the agent does not use.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal
from urllib.parse import urlencode

import httpcore

from xene.agent.settings import AgentSettings
from xene.frozen import frozen

log = logging.getLogger("xene.agent")
Purpose = Literal["control", "work"]
CONTROL: Purpose = "control"
WORK: Purpose = "work"
TIMEOUTS: dict[Purpose, dict[str, float]] = {
    CONTROL: {"connect": 3.0, "read": 5.0, "write": 5.0, "pool": 5.0},
    WORK: {"connect": 3.0, "read": 60.0, "write": 60.0, "pool": 60.0},
}
FAILURES = (httpcore.NetworkError, httpcore.TimeoutException, httpcore.ProtocolError, OSError)
"""What a server that cannot be reached (or went away mid-answer) raises."""


CUT = (httpcore.ReadError, httpcore.RemoteProtocolError)
"""How a connection the server cut right after the handshake fails."""
CERT_HINT = (
    " (a server that refuses a client certificate cuts the connection so, in TLS 1.3:"
    " check that --cert was issued by the CA the server's --client-ca names, with"
    " `xene certs agent NAME`, and has not expired: `xene certs list`)"
)


class Unreachable(Exception):
    """No server answered."""


@frozen
class Answer:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    def error(self) -> str:
        """What the server said was wrong (its `error`), or the status."""
        try:
            said = self.json()
        except ValueError:
            said = None
        if isinstance(said, dict) and said.get("error"):
            return str(said["error"])
        return f"HTTP {self.status}"


class Link:
    def __init__(self, settings: AgentSettings) -> None:
        self.servers = tuple(url.rstrip("/") for url in settings.servers)
        self.current = 0
        tls = settings.tls()
        context = tls if not isinstance(tls, bool) else None
        self._headers = [(b"content-type", b"application/json")]
        if settings.token:
            self._headers.append((b"authorization", f"Bearer {settings.token}".encode()))
        # Work: a long poll, and each run's commits (an outbox each) at once.
        connections = {CONTROL: 4, WORK: settings.capacity + 3}
        self._hint = CERT_HINT if settings.cert else ""
        self._pools = {
            purpose: httpcore.AsyncConnectionPool(ssl_context=context, max_connections=n)
            for purpose, n in connections.items()
        }

    @property
    def server(self) -> str:
        return self.servers[self.current]

    async def request(
        self,
        purpose: Purpose,
        method: str,
        path: str,
        body: Any = None,
        params: dict[str, str] | None = None,
    ) -> Answer:
        """The answer of the first server that gives one, this one first."""
        content = b"" if body is None else json.dumps(body).encode()
        query = f"?{urlencode(params)}" if params else ""
        extensions = {"timeout": TIMEOUTS[purpose]}
        failures = []
        for _ in self.servers:
            url = self.server
            try:
                answer = await self._pools[purpose].request(
                    method, url + path + query, headers=self._headers, content=content,
                    extensions=extensions,
                )  # fmt: skip
            except FAILURES as exc:
                hint = self._hint if isinstance(exc, CUT) else ""
                failures.append(f"{url}: {exc!r}{hint}")
                self._next(url, exc)
                continue
            return Answer(answer.status, answer.content)
        raise Unreachable("no server answered: " + "; ".join(failures))

    def _next(self, url: str, exc: Exception) -> None:
        if self.server == url:  # not moved on meanwhile by another request
            self.current = (self.current + 1) % len(self.servers)
            if len(self.servers) > 1:
                log.warning("%s did not answer (%r); now using %s", url, exc, self.server)

    async def aclose(self) -> None:
        for pool in self._pools.values():
            await pool.aclose()
