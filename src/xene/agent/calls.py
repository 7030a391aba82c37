"""The agent routes (`/api/v1/agent/...`) as an agent calls them for its work: claims,
a run's commits, its approvals. Heartbeats go their own way (heartbeat.py), on the
control connections.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any
from urllib.parse import quote

from xene.agent.link import WORK, Answer, Link, Unreachable
from xene.agent.outbox import Fenced, Send, Unsent

log = logging.getLogger("xene.agent")
PREFIX = "/api/v1/agent"
RETRY_S = (0.2, 0.5, 1.0, 2.0, 5.0)
"""Waits between tries of a call that must get an answer, the last repeated."""
REFUSED = frozenset({400, 404, 409, 422})
"""A run's commits answered so: they will never be taken, whoever asks again (409: the
lease moved on; 404: the run is gone; 400 and 422: a batch this server cannot read)."""


class AgentApi:
    def __init__(self, link: Link, params: dict[str, str]) -> None:
        self.link = link
        self.params = params
        """The agent's name where nothing else names it (a server without auth)."""

    async def call(self, method: str, path: str, body: Any = None) -> Answer:
        """One call to `PREFIX + path`; Unreachable if no server answers."""
        return await self.link.request(WORK, method, PREFIX + path, body, params=self.params)

    async def insist(self, method: str, path: str, body: Any = None) -> Answer:
        """The first answer that is not a server's failure (5xx), trying again while no
        server answers: for what a run cannot go on without (its approvals)."""
        for attempt in range(1_000_000):
            try:
                answer = await self.call(method, path, body)
                if answer.status < 500:
                    return answer
                problem = f"HTTP {answer.status}: {answer.error()}"
            except Unreachable as exc:
                problem = str(exc)
            wait = RETRY_S[min(attempt, len(RETRY_S) - 1)]
            log.warning("%s %s failed (%s); trying again in %.1fs", method, path, problem, wait)
            await asyncio.sleep(wait)
        raise Unreachable(f"{method} {path}: no answer after many tries")

    def commits_sender(self, run_id: str, epoch: int) -> Send:
        """What a run's outbox sends its commits with (route 2 of the contract)."""
        path = f"/runs/{quote(run_id, safe='')}/commits"

        async def send(commits: list[dict[str, Any]]) -> None:
            try:
                answer = await self.call("POST", path, {"epoch": epoch, "commits": commits})
            except Unreachable as exc:
                raise Unsent(str(exc)) from exc
            if answer.status == 200:
                return
            if answer.status in REFUSED:
                level = logging.WARNING if answer.status in (404, 409) else logging.ERROR
                log.log(level, "run %s: its commits are refused: %s", run_id, answer.error())
                raise Fenced(answer.error())
            raise Unsent(f"HTTP {answer.status}: {answer.error()}")

        return send
