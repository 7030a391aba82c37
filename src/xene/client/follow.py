"""Following a run's log live over `GET /runs/{id}/logs/stream` (Server-Sent Events).

A dropped connection (a restarting server, a proxy's timeout) is resumed after the last
chunk seen (`Last-Event-ID`), a few times, so no line is printed twice or lost.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from xene.client import records
from xene.client.api import ApiClient, api_path
from xene.client.errors import ApiError
from xene.store.base import LogChunk

RETRIES = 5
RETRY_S = 1.0


async def follow_logs(
    api: ApiClient,
    run_id: str,
    on_chunk: Callable[[LogChunk], None],
    *,
    step: str | None = None,
    after: int = 0,
    wait: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> str:
    """Call `on_chunk` with each chunk (after the chunk `after`) as the server commits
    it, until the run has ended and every chunk was sent; the run's final state
    (`deleted` if it went away)."""
    last: str | None = None
    failures = 0
    path = api_path("runs", run_id, "logs", "stream")
    while True:
        try:
            async for event in api.events(path, {"step": step, "after": after}, last):
                failures = 0
                if event.name == "log" and isinstance(event.data, dict):
                    on_chunk(records.log_chunk(run_id, event.data))
                    last = event.id or last
                elif event.name == "end":
                    return str(event.data.get("state")) if isinstance(event.data, dict) else ""
        except ApiError as exc:
            if exc.status or failures >= RETRIES:
                raise  # an answer (401, 404, ...) will not change by asking again
        failures += 1  # the stream broke off, or ended without `end`: resume it
        if failures > RETRIES:
            raise ApiError(f"the log stream of run {run_id} kept breaking off; try again")
        await wait(RETRY_S)
