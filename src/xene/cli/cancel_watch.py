"""While `xene run` (or `resume`, `approve`, `retry`) executes a run, a cancel asked
through the store (`xene cancel RUN` from another terminal) reaches it: the request is
durable in the store, and this process looks for it once a second, as a server's agent
does."""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from xene.engine.execution import Execution
    from xene.store.base import Store

POLL_S = 1.0


@contextlib.asynccontextmanager
async def watching(store: Store | None, execution: Execution) -> AsyncIterator[None]:
    """Within the block, a cancel request for the execution's run cancels it."""
    asks = getattr(store, "cancel_requested", None)  # every local store has it
    if asks is None or execution.journal is None:
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
        execution = self.execution
        run_id = execution.run.id
        while not execution.finished:
            await asyncio.sleep(poll_s)
            try:
                asked = await self.store.cancel_requested(run_id)  # type: ignore[union-attr]
            except Exception:  # the store is away for a moment: ask again at the next poll
                continue
            if asked and not execution.finished:
                self.cancelling = True
                print(
                    f"\nrun {run_id}: cancel requested (xene cancel); running steps get "
                    "SIGTERM, then SIGKILL",
                    file=sys.stderr,
                )
                await execution.cancel("cancelled on request")
                return
