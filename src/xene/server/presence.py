"""The built-in agent as the fleet sees it: one of the agents in the store, registered
when the server starts, heartbeating while it runs, forgotten when it stops. So that
`xene agents` lists it and a run that waits can be told why ("no online agent has
label gpu") whichever agents, remote or built in, there are."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import TYPE_CHECKING

from xene import __version__
from xene.service import agents
from xene.service.errors import NotFound

if TYPE_CHECKING:
    from xene.server.runtime import Runtime

log = logging.getLogger("xene.server.agent")
HEARTBEAT_S = 5.0


class Presence:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.name = runtime.agent.owner
        """`host:pid`, as the runs it executes name their owner."""
        self._loop: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._loop = asyncio.create_task(self._beat(), name="xene-presence")

    async def _beat(self) -> None:
        runtime, config = self.runtime, self.runtime.config
        offer = agents.Offer(
            self.name, config.agent_labels, config.capacity, __version__, socket.gethostname()
        )
        every = min(HEARTBEAT_S, config.lease_s / 3)
        registered = False
        while True:
            try:
                now = runtime.clock.now()
                if not registered:
                    await agents.register(runtime.store, "", offer, now)
                    registered = True
                else:
                    running, stopping = len(runtime.agent.running), runtime.agent.stopping
                    await agents.heartbeat(runtime.store, self.name, running, stopping, now)
            except NotFound:  # forgotten (`xene agent forget`): register again
                registered = False
                continue
            except Exception:  # the store is away: the next beat tries again
                log.exception("the built-in agent's heartbeat failed")
            await asyncio.sleep(every)  # real time: a fake clock would spin here

    async def stop(self) -> None:
        if self._loop is None:  # never started: the server runs no agent
            return
        self._loop.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._loop
        with contextlib.suppress(Exception):  # a server that cannot say so is soon `lost`
            await self.runtime.store.forget_agent(self.name)
