"""While `xene run` (or `resume`, `approve`, `retry`) executes a run, a cancel asked
through the store (`xene cancel RUN` from another terminal) reaches it: the request is
durable in the store; this process is woken by its notification (PostgreSQL:
store/wakeups.py) and looks for it once a second anyway, as a server's agent does."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from xene.store import wakeups

if TYPE_CHECKING:
    from xene.engine.execution import Execution
    from xene.store.base import Store

POLL_S = 1.0


@contextlib.asynccontextmanager
async def watching(store: Store | None, execution: Execution) -> AsyncIterator[None]:
    """Within the block, a cancel request for the execution's run cancels it."""
    asks = getattr(store, "cancel_requested", None)  # every local store has it
    if asks is None:  # a run kept nowhere: nobody else can ask
        yield
        return
    watch = _Watch(store, execution)
    watcher = asyncio.create_task(watch.run())
    try:
        yield
    finally:
        if not watch.cancelling:  # once cancelling, let it commit the run's end
            watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


class _Watch:
    def __init__(self, store: Store | None, execution: Execution) -> None:
        self.store, self.execution = store, execution
        self.cancelling = False

    async def run(self, poll_s: float = POLL_S) -> None:
        run_id = self.execution.run.id
        with wakeups.of(self.store).subscribe("cancel", run_id) as asked:
            while not self.execution.finished:
                await asked.wait(poll_s)
                if await self._asked(run_id):
                    return

    async def _asked(self, run_id: str) -> bool:
        """Whether a cancel was asked: if so, the run is cancelled (before this returns)."""
        execution = self.execution
        try:
            asked = await self.store.cancel_requested(run_id)  # type: ignore[union-attr]
        except Exception:  # the store is away for a moment: ask again at the next poll
            return False
        if not asked or execution.finished:
            return False
        self.cancelling = True
        print(
            f"\nrun {run_id}: cancel requested (xene cancel); running steps get "
            "SIGTERM, then SIGKILL",
            file=sys.stderr,
        )
        await execution.cancel("cancelled on request")
        return True
