"""The server's built-in agent: claims queued (or orphaned) runs and executes them.

Claiming goes through the store (`claim_runs`), so several servers share one queue and a
run whose executor died is taken over once its lease expires. A remote agent will do the
same through the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import TYPE_CHECKING

from xene.agent.containers import Sweeper
from xene.core.states import State
from xene.ir import DOCKER_LABEL
from xene.store import wakeups
from xene.store.owners import owner_alive, owner_id

if TYPE_CHECKING:
    from xene.engine.execution import Execution
    from xene.server.runtime import Runtime
    from xene.store.base import StoredRun

log = logging.getLogger("xene.server.agent")
COUNT_EVERY_S = 15.0
"""How often the queue-depth metric is refreshed."""


class Agent:
    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.owner = owner_id()
        self.running: dict[str, Execution] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self._queued = wakeups.of(runtime.store).subscribe("queued")
        """Woken by a run queued here or, through the store, by another server."""
        self._loop: asyncio.Task[None] | None = None
        config = runtime.config
        self.container_scope = config.container_scope or f"process:{self.owner}"
        """Of its runs' containers: the store's, so `xene run` on it and other servers on
        this host sweep them too, and it theirs."""
        self.sweeper: Sweeper | None = None
        if DOCKER_LABEL in config.agent_labels:  # without it, it makes no container
            self.sweeper = Sweeper(self.container_scope, self._unfinished, config.sweep_s)
        self._stopping = False
        self._counted_at = float("-inf")
        self._looked_at = float("-inf")
        """When runs of dead processes on this host were last looked for."""
        self._cancelling: dict[str, asyncio.Future[None]] = {}
        """Cancellations asked through the store, under way."""

    def start(self) -> None:
        self._loop = asyncio.create_task(self._claim_loop(), name="xene-agent")
        if self.sweeper is not None:
            self.sweeper.start()

    async def _unfinished(self, run_ids: list[str]) -> list[str]:
        """Those of `run_ids` the store has unfinished (their containers may be needed
        by whoever resumes them)."""
        live = []
        for run_id in run_ids:
            summary = await self.runtime.store.run_summary(run_id)
            if summary is not None and not summary.state.finished:
                live.append(run_id)
        return live

    @property
    def stopping(self) -> bool:
        """It claims nothing more: the server is stopping."""
        return self._stopping

    async def _take_over_dead(self, free: int) -> None:
        """Runs whose process on this host has died are taken at once, not when their
        lease expires: a restarted server resumes what it was doing, and a peer (or a
        `xene run`) killed on this host has its runs taken over within a poll."""
        now = self.runtime.clock.now()
        self._looked_at = now
        for summary in await self.runtime.store.unfinished_runs():
            if free <= 0:
                return
            if summary.state == State.SUSPENDED or summary.owner in ("", self.owner):
                continue
            if owner_alive(summary.owner) or not await self._may_run(summary.id):
                continue
            if await self.runtime.store.claim_run(
                summary.id, self.owner, now + self.runtime.config.lease_s, now
            ):
                self._counted(taken_over=True)
                self._spawn(summary.id)
                free -= 1

    async def _may_run(self, run_id: str) -> bool:
        """Whether this agent has every label the run's pipeline needs (a dead owner's
        run is taken over here only then, as `claim_runs` would)."""
        from xene import labels

        stored = await self.runtime.store.get_run(run_id)
        if stored is None:
            return False
        needed = self.runtime.labels_of(stored.source)
        return labels.satisfies(self.runtime.config.agent_labels, needed)

    async def run_until_idle(self) -> None:
        """Claim and execute until no run waits (without the background loop): for
        tests, and for one-shot processing."""
        while True:
            await self._claim(self.runtime.config.capacity)
            if not self.tasks:
                return
            await asyncio.gather(*list(self.tasks))

    def wake(self) -> None:
        self._queued.wake()

    async def _claim_loop(self) -> None:
        runtime = self.runtime
        while not self._stopping:
            try:
                await self._claim_some()
            except Exception:  # the store is away: try again at the next poll
                log.exception("claiming work failed", extra={"action": "claim"})
            await self._queued.wait(runtime.config.poll_s)

    async def _claim_some(self) -> None:
        """Runs of dead processes on this host first (every poll), then queued ones."""
        config = self.runtime.config
        free = config.capacity - len(self.tasks)
        if free > 0 and self.runtime.clock.now() >= self._looked_at + config.poll_s:
            await self._take_over_dead(free)
            free = config.capacity - len(self.tasks)
        if free > 0:
            await self._claim(free)

    async def _claim(self, free: int) -> None:
        now = self.runtime.clock.now()
        lease_until = now + self.runtime.config.lease_s
        store, labels = self.runtime.store, self.runtime.config.agent_labels
        claimed = await store.claim_stored_runs(self.owner, free, lease_until, now, labels)
        for stored in claimed:  # read with the claim: `_execute` need not read it again
            self._counted(taken_over=stored.record.state is not State.WAITING)
            self._spawn(stored.record.id, stored)
        if now >= self._counted_at + COUNT_EVERY_S:  # not per claim, though it is indexed
            self._counted_at = now
            self.runtime.metrics.queue_depth.set(await self.runtime.store.count_queued())

    def _counted(self, *, taken_over: bool) -> None:
        self.runtime.metrics.claims.labels("built-in").inc()
        if taken_over:  # its executor's lease ended, or it left the run
            self.runtime.metrics.lease_expiries.inc()

    def _spawn(self, run_id: str, stored: StoredRun | None = None) -> None:
        task = asyncio.create_task(self._execute(run_id, stored), name=f"xene-run-{run_id}")
        self.tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self.wake()

    async def _execute(self, run_id: str, stored: StoredRun | None) -> None:
        from xene.engine.engine import Engine, Unrecoverable
        from xene.engine.options import EngineOptions
        from xene.store.base import Fenced

        runtime = self.runtime
        if stored is None:
            stored = await runtime.store.get_run(run_id)
        if stored is None:
            return
        options = EngineOptions(
            clock=runtime.clock,
            listeners=runtime.listeners,
            lease_s=runtime.config.lease_s,
            secret_source=runtime.secrets.resolve,
            container_scope=self.container_scope,
        )
        try:  # the applied workflow's pipeline, loaded once, not parsed again per run
            pipeline = runtime.pipeline_of(stored.source)
            execution = await Engine(options, runtime.store).recover(stored, pipeline)
        except Unrecoverable as exc:
            log.error("%s", exc)
            return
        self.running[run_id] = execution
        runtime.metrics.active_runs.set(len(self.running))
        watcher = asyncio.create_task(self._watch_cancel(run_id, execution))
        try:
            await execution.execute()
        except Fenced:  # its steps are stopped; the run is another executor's now
            log.warning("run %s was taken over: its lease moved on", run_id)
            return
        finally:
            watcher.cancel()
            cancelling = self._cancelling.pop(run_id, None)
            if cancelling is not None:  # the run's last commit must land before we go on
                await cancelling
            self.running.pop(run_id, None)
            runtime.metrics.active_runs.set(len(self.running))
        await runtime.run_ended(execution.run)

    async def _watch_cancel(self, run_id: str, execution: Execution) -> None:
        """Cancellation asked through another server reaches us through the store: its
        notification, else the next poll."""
        store = self.runtime.store
        with wakeups.of(store).subscribe("cancel", run_id) as asked:
            while not execution.finished:
                await asked.wait(self.runtime.config.poll_s)
                if await store.cancel_requested(run_id):
                    # Its own task: ending the watcher when the run ends must not cut it off.
                    cancel = asyncio.ensure_future(execution.cancel("cancelled on request"))
                    self._cancelling[run_id] = cancel
                    await asyncio.shield(cancel)
                    return

    async def cancel(self, run_id: str) -> bool:
        execution = self.running.get(run_id)
        if execution is None:
            return False
        await execution.cancel("cancelled on request")
        return True

    async def cancel_pipeline(self, workflow: str, pipeline: str) -> None:
        for execution in list(self.running.values()):
            if execution.run.workflow == workflow and execution.run.pipeline == pipeline:
                await execution.cancel(f"pipeline {workflow}/{pipeline} was stopped")

    def begin_stop(self) -> None:
        """Claim nothing more and let running executions start no new node; claims of
        remote agents waiting here for work answer now (a server stopping waits for the
        requests under way)."""
        self._stopping = True
        waiting = wakeups.of(self.runtime.store)
        if isinstance(waiting, wakeups.Dispatch):  # every claim in this process looks again
            waiting.deliver("queued", wakeups.ANY)
        self.wake()
        for execution in self.running.values():
            execution.drain()

    async def stop(self, grace_s: float) -> None:
        """Claim nothing more; running nodes get `grace_s` to finish, then stop; the
        runs stay unfinished and unowned, to be resumed by another server or a restart."""
        self.begin_stop()
        if self.sweeper is not None:
            await self.sweeper.stop()
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop
        if self.tasks:
            _, late = await asyncio.wait(set(self.tasks), timeout=grace_s)
            for execution in list(self.running.values()):
                await execution.abandon()
            if late:
                _, stuck = await asyncio.wait(late, timeout=10)
                for task in stuck:  # nothing should get here: abandon ends every node
                    task.cancel()
                if stuck:
                    await asyncio.wait(stuck)
