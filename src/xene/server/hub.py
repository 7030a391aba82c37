"""Run and node state changes, as they happen in this server, for `/api/v1/events`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from xene.core.records import Listener, NodeRecord, RunRecord

QUEUE = 1000
"""A subscriber that falls this far behind loses events (it is told so)."""


class EventHub(Listener):
    """A listener of every execution in this server, fanning changes out to subscribers."""

    def __init__(self) -> None:
        self._subscribers: set[asyncio.Queue[dict[str, Any]]] = set()
        self.subscribed = asyncio.Event()
        """Set while anyone subscribes: other servers' runs are then watched."""
        self.closed = False
        """The server stops: subscriptions end (`close`)."""

    @property
    def listening(self) -> bool:
        """Whether anyone subscribes (watching other servers' runs costs reads)."""
        return bool(self._subscribers)

    def publish(self, event: dict[str, Any]) -> None:
        for queue in list(self._subscribers):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                self._leave(queue)
                queue.put_nowait({"type": "lagging"}) if queue.empty() else None

    def run_changed(self, run: RunRecord) -> None:
        self.publish(
            {
                "type": "run",
                "run": run.id,
                "workflow": run.workflow,
                "pipeline": run.pipeline,
                "state": str(run.state),
                "error": run.error,
            }
        )

    def node_changed(self, run: RunRecord, node: NodeRecord) -> None:
        self.publish(
            {
                "type": "node",
                "run": run.id,
                "node": node.key,
                "state": str(node.state),
                "attempt": node.attempt,
                "error": node.error,
            }
        )

    def close(self) -> None:
        """End every subscription with a `closing` event, and any later one at once: an
        open page's event stream would otherwise hold the server's shutdown until its
        graceful timeout (uvicorn waits for open responses)."""
        self.closed = True
        for queue in list(self._subscribers):
            self._leave(queue)
            while not queue.empty():  # what it has not read yet is moot now
                queue.get_nowait()
            queue.put_nowait({"type": "closing"})

    async def subscribe(self) -> AsyncIterator[dict[str, Any]]:
        if self.closed:
            return
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(QUEUE)
        self._subscribers.add(queue)
        self.subscribed.set()
        try:
            while True:
                event = await queue.get()
                yield event
                if event.get("type") in ("lagging", "closing"):
                    return
        finally:
            self._leave(queue)

    def _leave(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        self._subscribers.discard(queue)
        if not self._subscribers:
            self.subscribed.clear()
