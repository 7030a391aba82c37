"""Changes of runs that other servers execute, for this server's event stream.

Executions in this server tell the `EventHub` as they go. Runs another server (or a
`xene run` on the same store) executes are seen by looking at the store: while anyone
listens, unfinished runs not executed here are read every second, and each state
change of the run or one of its nodes is published to the hub like a local one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from xene.core.records import RunRecord
from xene.core.states import State

if TYPE_CHECKING:
    from xene.server.runtime import Runtime

log = logging.getLogger("xene.server.watch")
POLL_S = 1.0


class RemoteChanges:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.runs: dict[str, State] = {}
        """Run id -> the state last published, for runs executed elsewhere."""
        self.nodes: dict[tuple[str, str], State] = {}

    async def poll(self) -> int:
        """Publish what changed since the last look; the number of changes."""
        runtime = self.runtime
        ours = set(runtime.agent.running)
        unfinished = {s.id for s in await runtime.store.unfinished_runs()} - ours
        changes = 0
        for run_id in sorted(unfinished | set(self.runs)):
            if run_id in ours:
                continue
            stored = await runtime.store.get_run(run_id)
            if stored is not None:
                changes += self._publish(stored.record)
            if stored is None or stored.record.state.finished:
                self._forget(run_id)
        return changes

    def _publish(self, run: RunRecord) -> int:
        hub, changes = self.runtime.hub, 0
        for node in run.nodes.values():
            state = node.state
            if self.nodes.get((run.id, node.key), State.NOT_EXECUTED) != state:
                self.nodes[(run.id, node.key)] = state
                hub.node_changed(run, node)
                changes += 1
        if self.runs.get(run.id) != run.state:
            self.runs[run.id] = run.state
            hub.run_changed(run)
            changes += 1
        return changes

    def _forget(self, run_id: str) -> None:
        self.runs.pop(run_id, None)
        for key in [k for k in self.nodes if k[0] == run_id]:
            del self.nodes[key]

    async def loop(self) -> None:
        while True:
            await asyncio.sleep(POLL_S)
            if not self.runtime.hub.listening:
                continue
            try:
                await self.poll()
            except Exception:  # the store is away: look again at the next tick
                log.exception("watching other servers' runs failed", extra={"action": "watch"})


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
