"""The agent's connection to its servers: any of them will do, since they share one
store. Requests go to the server that answered last; when it cannot be reached the next
one is tried, round the list once, before the request fails with `Unreachable`.

Heartbeats have a connection of their own (`CONTROL`), with short timeouts, so that a
long poll for work or a slow upload never holds one back.
"""

from __future__ import annotations

import logging
from typing import Any, Literal

import httpx

from xene.agent.settings import AgentSettings

log = logging.getLogger("xene.agent")
Purpose = Literal["control", "work"]
CONTROL: Purpose = "control"
WORK: Purpose = "work"
TIMEOUTS: dict[Purpose, httpx.Timeout] = {
    CONTROL: httpx.Timeout(5.0, connect=3.0),
    WORK: httpx.Timeout(60.0, connect=3.0),
}


class Unreachable(Exception):
    """No server answered."""


class Link:
    def __init__(self, settings: AgentSettings) -> None:
        self.servers = settings.servers
        self.current = 0
        verify = settings.tls()
        headers = {"Authorization": f"Bearer {settings.token}"} if settings.token else {}
        self._clients = {
            (url, purpose): httpx.AsyncClient(
                base_url=url, verify=verify, headers=headers, timeout=TIMEOUTS[purpose]
            )
            for url in self.servers
            for purpose in (CONTROL, WORK)
        }

    @property
    def server(self) -> str:
        return self.servers[self.current]

    async def request(
        self, purpose: Purpose, method: str, path: str, body: Any = None, **options: Any
    ) -> httpx.Response:
        """The answer of the first server that gives one, this one first."""
        failures = []
        for _ in self.servers:
            url = self.server
            try:
                return await self._clients[url, purpose].request(method, path, json=body, **options)
            except httpx.TransportError as exc:
                failures.append(f"{url}: {exc!r}")
                self._next(url, exc)
        raise Unreachable("no server answered: " + "; ".join(failures))

    def _next(self, url: str, exc: Exception) -> None:
        if self.server == url:  # not moved on meanwhile by another request
            self.current = (self.current + 1) % len(self.servers)
            if len(self.servers) > 1:
                log.warning("%s did not answer (%s); now using %s", url, exc, self.server)

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
