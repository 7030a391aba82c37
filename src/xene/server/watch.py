"""Changes of runs that other servers execute, for this server's event stream.

Executions in this server tell the `EventHub` as they go. Runs another server (or a
`xene run` on the same store) executes are seen by looking at the store: while anyone
listens, a run the store notifies as changed (store/wakeups.py) is read at once, every
unfinished run not executed here at least every `poll_s` (the fallback), and each state
change of the run or one of its nodes is published to the hub like a local one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from xene.core.records import RunRecord
from xene.core.states import State
from xene.store import wakeups

if TYPE_CHECKING:
    from xene.server.runtime import Runtime

log = logging.getLogger("xene.server.watch")


class RemoteChanges:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.runs: dict[str, State] = {}
        """Run id -> the state last published, for runs executed elsewhere."""
        self.nodes: dict[tuple[str, str], State] = {}

    async def poll(self, changed: set[str] | None = None) -> int:
        """Publish what changed since the last look at the runs `changed` names (None:
        at every unfinished run); the number of changes."""
        runtime = self.runtime
        ours = set(runtime.agent.running)
        if changed is None:
            changed = {s.id for s in await runtime.store.unfinished_runs()} | set(self.runs)
        changes = 0
        for run_id in sorted(changed):
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
        hub, store = self.runtime.hub, self.runtime.store
        while True:
            await hub.subscribed.wait()
            with wakeups.of(store).subscribe("changed") as changes:
                keys = {wakeups.MISSED}
                while hub.listening:
                    await self._look(keys)
                    keys = await changes.wait(self.runtime.config.poll_s) or {wakeups.MISSED}

    async def _look(self, keys: set[str]) -> None:
        try:
            await self.poll(None if wakeups.MISSED in keys else keys)
        except Exception:  # the store is away: look again at the next tick
            log.exception("watching other servers' runs failed", extra={"action": "watch"})


async def stop(task: asyncio.Task[None] | None) -> None:
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
