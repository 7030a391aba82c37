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
    watcher = asyncio.create_task(_watch(store, execution))
    try:
        yield
    finally:
        watcher.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await watcher


async def _watch(store: Store | None, execution: Execution, poll_s: float = POLL_S) -> None:
    run_id = execution.run.id
    while not execution.finished:
        await asyncio.sleep(poll_s)
        try:
            asked = await store.cancel_requested(run_id)  # type: ignore[union-attr]
        except Exception:  # the store is away for a moment: ask again at the next poll
            continue
        if asked:
            print(
                f"\nrun {run_id}: cancel requested (xene cancel); running steps get "
                "SIGTERM, then SIGKILL",
                file=sys.stderr,
            )
            await execution.cancel("cancelled on request")
            return
