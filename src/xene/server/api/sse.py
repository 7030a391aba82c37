"""Server-Sent Events: a run's log lines as they are committed, and run/node changes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi.responses import StreamingResponse

from xene.server.hub import EventHub
from xene.store import wakeups
from xene.store.base import LogChunk, ServerStore

KEEPALIVE_S = 15.0
"""A comment line this often while nothing happens, so proxies keep the stream open."""
HEADERS = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}


def event(name: str, data: Any, event_id: str | None = None) -> str:
    head = f"id: {event_id}\n" if event_id is not None else ""
    return f"{head}event: {name}\ndata: {json.dumps(data, default=str)}\n\n"


def response(events: AsyncIterator[str]) -> StreamingResponse:
    return StreamingResponse(events, media_type="text/event-stream", headers=HEADERS)


def chunk_dict(chunk: LogChunk) -> dict[str, Any]:
    return {
        "seq": chunk.seq,
        "node": chunk.node,
        "step": chunk.step,
        "at": chunk.at,
        "lines": list(chunk.lines),
    }


async def follow_logs(
    store: ServerStore,
    run_id: str,
    *,
    node: str | None,
    step: str | None,
    after: int,
    poll_s: float,
) -> AsyncIterator[str]:
    """`log` events as chunks are committed; `end` once the run is final and every chunk
    was sent. The run's state is read before its logs: a run seen final has committed
    all of them, so an empty read after it means nothing is left. A commit of the run
    wakes the stream (store/wakeups.py); it looks every `poll_s` anyway."""
    loop = asyncio.get_running_loop()
    quiet_since = loop.time()
    with wakeups.of(store).subscribe("changed", run_id) as changes:
        while True:
            stored = await store.get_run(run_id)
            final = stored is None or stored.record.state.finished
            chunks = await store.read_logs(run_id, node=node, step=step, after=after)
            for chunk in chunks:
                after = chunk.seq
                yield event("log", chunk_dict(chunk), str(chunk.seq))
            if chunks:
                quiet_since = loop.time()
                continue  # there may be more than one page
            if final:
                state = str(stored.record.state) if stored is not None else "deleted"
                yield event("end", {"run_id": run_id, "state": state, "last_seq": after})
                return
            await changes.wait(poll_s)
            if loop.time() - quiet_since >= KEEPALIVE_S:
                quiet_since = loop.time()
                yield ": keep-alive\n\n"


async def hub_events(hub: EventHub, limit: int | None) -> AsyncIterator[str]:
    """`run` and `node` events of this server's executions as they happen; `lagging`
    (and the end of the stream) for a subscriber too slow to keep up; `closing` (and
    the end) when the server stops."""
    events = hub.subscribe()
    sent = 0
    pending: asyncio.Task[dict[str, Any]] | None = None
    try:
        while limit is None or sent < limit:
            if pending is None:
                pending = asyncio.ensure_future(anext(events))
            done, _ = await asyncio.wait({pending}, timeout=KEEPALIVE_S)
            if not done:
                yield ": keep-alive\n\n"
                continue
            try:
                change = pending.result()
            except StopAsyncIteration:
                return
            finally:
                pending = None
            kind = str(change.get("type", "run"))
            yield event(kind, change)
            sent += 1
            if kind in ("lagging", "closing"):
                return
    finally:
        if pending is not None:
            pending.cancel()
            with contextlib.suppress(asyncio.CancelledError, StopAsyncIteration):
                await pending
        aclose = getattr(events, "aclose", None)
        if aclose is not None:
            await aclose()
