"""Back-pressure: a bound on the runs a server's store holds queued.

Past `ServerConfig.max_queued` runs waiting for an executor, a server accepts no new
run: webhooks and the API's trigger route answer 503 with `Retry-After`, and a cron or
filesystem fire is skipped, logged at warning level and kept in the store (the last one
per trigger, shown by `xene get WORKFLOW`). A run that was accepted is always executed:
the bound refuses before the run exists, never after.

The queue is counted on the store's index of run states, at most every `COUNT_EVERY_S`;
in between, each run admitted here is added to the last count, so a burst at one server
cannot run far past the bound before the next count (runs queued through other servers
sharing the store show up at that count). The bound is therefore approximate by the
runs admitted concurrently, which is what a bound against overload needs.
"""

from __future__ import annotations

import asyncio

from xene.engine.clock import Clock
from xene.store.pressure import PressureStore

COUNT_EVERY_S = 0.25
"""How long a count of the queue is trusted."""
RETRY_AFTER_S = 2
"""What a refusal's `Retry-After` says: about the time a busy server takes to drain."""

ADVICE = (
    "add agents or capacity to drain it faster, or raise the bound with `xene serve --max-queued N`"
)


class QueueFull(RuntimeError):
    """The server's queue is full: no new run is accepted until it drains."""

    def __init__(self, queued: int, limit: int) -> None:
        self.queued = queued
        self.limit = limit
        self.retry_after_s = RETRY_AFTER_S
        waiting = "1 run waits" if queued == 1 else f"{queued} runs wait"
        self.reason = (
            f"the server's queue is full: {waiting} for an executor (the bound is {limit})"
        )
        super().__init__(f"{self.reason}; retry in {RETRY_AFTER_S} s, {ADVICE}")

    @property
    def skipped(self) -> str:
        """Why a cron or filesystem fire started nothing (it is not retried)."""
        return f"{self.reason}; {ADVICE}"


class QueueBound:
    """Admits new runs while fewer than `limit` wait for an executor (0: no bound)."""

    def __init__(self, store: PressureStore, limit: int, clock: Clock) -> None:
        self.store = store
        self.limit = limit
        self.clock = clock
        self._queued = 0
        self._counted_at: float | None = None
        self._lock = asyncio.Lock()

    async def admit(self, runs: int = 1) -> None:
        """Make room for `runs` new runs, or raise QueueFull (and make none)."""
        if self.limit <= 0 or runs <= 0:
            return
        async with self._lock:  # one count at a time; the others wait for it and use it
            now = self.clock.monotonic()
            if self._counted_at is None or now - self._counted_at >= COUNT_EVERY_S:
                self._queued = await self.store.count_queued()
                self._counted_at = now
            if self._queued >= self.limit:
                raise QueueFull(self._queued, self.limit)
            self._queued += runs
