"""The heartbeat loop: every `every_s` seconds, tell the server the agent lives, the runs
it holds (their leases are renewed so) and whether it drains; learn whether it is asked
to drain, which runs it has lost and which to cancel (`on_reply`). On a task and a
connection of its own, so work never delays it; an error is logged and the next beat
tried on time, never raised (a heartbeat that stopped would make a live agent look lost).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from xene.agent.link import CONTROL, Link

log = logging.getLogger("xene.agent")


class Heartbeats:
    def __init__(
        self,
        link: Link,
        status: Callable[[], dict[str, Any]],
        register: Callable[[], Awaitable[None]],
        params: dict[str, str],
        on_reply: Callable[[dict[str, Any]], None] | None = None,
    ) -> None:
        self.link, self.status, self.register, self.params = link, status, register, params
        self.on_reply = on_reply
        self.every_s = 5.0
        self.asked_to_drain = False
        self.beats = 0
        """Heartbeats the server answered."""

    async def beat(self) -> bool:
        """One heartbeat; True if a server answered it."""
        try:
            answer = await self.link.request(
                CONTROL, "POST", "/api/v1/agent/heartbeat", self.status(), params=self.params
            )
            if answer.status == 404:  # forgotten, or a new store: register again
                log.info("the server does not know this agent (any more): registering again")
                await self.register()
                return True
            if answer.status != 200:  # a 5xx, a refusal: the next beat may do better
                log.warning("heartbeat refused: %s", answer.error())
                return False
            reply = answer.json()
            self.asked_to_drain = bool(reply.get("draining"))
            if self.on_reply is not None:
                self.on_reply(reply)
        except Exception as exc:  # Unreachable, a bad answer: never the end of the loop
            log.warning("heartbeat failed: %s", exc)
            return False
        self.beats += 1
        return True

    async def loop(self, stop: asyncio.Event) -> None:
        """Beat every `every_s` seconds (measured from each beat's start) until `stop`."""
        clock = asyncio.get_running_loop()
        while not stop.is_set():
            started = clock.time()
            await self.beat()
            wait = max(self.every_s - (clock.time() - started), 0.0)
            try:
                await asyncio.wait_for(stop.wait(), wait)
            except TimeoutError:
                continue
