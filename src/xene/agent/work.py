"""The agent's work: long polls for runs while it has room, the runs it holds, and what
heartbeat replies say of them (lost, cancel, drain).

A claim asks for as many runs as the agent has room for (`free`), on the work
connections: the server answers as soon as a matching run is queued, else after
`WAIT_S` with none. Heartbeats carry the runs held ({id: epoch}) and renew their leases;
their replies may fence some (`lost`), cancel some, or ask the agent to drain (it then
claims nothing more, and its runs go on to their end).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from xene.agent.calls import AgentApi
from xene.agent.held import Held
from xene.agent.outbox import Outbox

log = logging.getLogger("xene.agent")
WAIT_S = 20.0
"""How long the server holds a claim that finds nothing (it answers at once when a run
comes)."""
RETRY_S = (0.5, 1.0, 2.0, 5.0)
"""Waits between claims while no server answers (or one fails), the last repeated."""


class ClaimFailed(Exception):
    """A server answered a claim with a failure."""


class Work:
    def __init__(
        self,
        api: AgentApi,
        capacity: int,
        spool: Path,
        register: Callable[[], Awaitable[None]],
        name: str = "",
    ) -> None:
        self.api, self.capacity, self.spool, self.register = api, capacity, spool, register
        self.name = name
        """The agent's: its runs' containers are in its scope (`agent:NAME`)."""
        self.held: dict[str, Held] = {}
        self.tasks: set[asyncio.Task[None]] = set()
        self.claiming = True
        self.paused = False
        """Asked to drain (`xene agent drain`): claims nothing until it registers again."""
        self.claimed = 0
        """Runs claimed so far."""
        self._changed = asyncio.Event()
        """A run has ended, or whether to claim has changed."""
        self._loop: asyncio.Task[None] | None = None

    # -- told to heartbeats and by their replies ------------------------------------------
    def runs(self) -> dict[str, int]:
        """The runs whose leases heartbeats renew: id -> epoch."""
        return {h.run_id: h.epoch for h in self.held.values() if h.reported}

    def heard(self, reply: dict[str, Any]) -> None:
        for run_id in reply.get("lost") or ():
            held = self.held.get(run_id)
            if held is not None:
                held.fence("the server says its lease is lost")
        for run_id in reply.get("cancel") or ():
            held = self.held.get(run_id)
            if held is not None:
                held.cancel("cancelled on request")
        paused = bool(reply.get("draining"))
        if paused != self.paused:
            self.paused = paused
            if self.claiming:  # not the echo of its own drain
                log.info("asked to drain: no new runs" if paused else "no longer draining")
            self._changed.set()

    # -- claiming ---------------------------------------------------------------------------
    def start(self) -> None:
        left = self._send_left()
        self._loop = asyncio.create_task(self._claim_loop(left), name="xene-agent-claims")

    def _send_left(self) -> set[asyncio.Task[None]]:
        """Send the commits an earlier process of this agent left in its spool (it was
        killed while no server answered), then release each run for any agent to take
        at once. Runs whose leases have moved on meanwhile refuse them: they are dropped."""
        paths = sorted(self.spool.glob("*.jsonl"))
        left = [(path, named) for path in paths if (named := _spooled(path)) is not None]
        if not left:
            return set()
        from xene.store.base import Batch
        from xene.store.wire import batch_json

        release = {"batch": batch_json(Batch(lease_until=0.0))}
        for path, (run_id, epoch) in left:
            outbox = Outbox(path, self.api.commits_sender(run_id, epoch), left=True)
            log.info("run %s: sending the %d commits an earlier process of this agent left",
                     run_id, outbox.written)  # fmt: skip
            outbox.put(release)
            outbox.close()
            task = asyncio.create_task(outbox.run(), name=f"xene-outbox-{run_id}")
            self.tasks.add(task)
            task.add_done_callback(self._sent_left)
        return set(self.tasks)

    def _sent_left(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s: the commits left could not be sent", task.get_name(),
                      exc_info=task.exception())  # fmt: skip

    async def _claim_loop(self, left: set[asyncio.Task[None]]) -> None:
        if left:  # before any claim: a run claimed anew would refuse them (a new epoch)
            await asyncio.wait(left)
        failures = 0
        while self.claiming:
            free = self.capacity - len(self.held)
            if free <= 0 or self.paused:
                self._changed.clear()
                await self._changed.wait()
                continue
            try:
                claims = await self._claim(free)
            except Exception as exc:  # Unreachable, ClaimFailed, a refused registration
                # ... never the end of the loop: an agent that stopped claiming looks alive
                wait = RETRY_S[min(failures, len(RETRY_S) - 1)]
                failures += 1
                log.warning("claiming work failed: %s; trying again in %.1fs", exc, wait)
                await asyncio.sleep(wait)
                continue
            failures = 0
            for claim in claims:
                self._take(claim)

    async def _claim(self, free: int) -> list[dict[str, Any]]:
        """The runs claimed, each with its `age`: at most how long ago the server took
        it (the time the call took, less the time it waited there for a run)."""
        started = time.monotonic()
        answer = await self.api.call("POST", "/claim", {"free": free, "wait_s": WAIT_S})
        if answer.status == 404:  # forgotten, or a new store: register again
            await self.register()
            raise ClaimFailed("the server did not know this agent (any more): registered again")
        said = answer.json() if answer.status == 200 else None
        if not isinstance(said, dict) or not isinstance(said.get("runs"), list):
            raise ClaimFailed(answer.error())
        waited = said.get("waited_s")
        took = time.monotonic() - started
        age = took - float(waited) if isinstance(waited, int | float) else float("inf")
        runs: list[dict[str, Any]] = said["runs"]
        return [{**claim, "age": age} for claim in runs]

    def _take(self, claim: dict[str, Any]) -> None:
        held = Held(claim, self.api, self.spool, self.name)
        if held.run_id in self.held:  # claimed twice? the later epoch is the one that counts
            self.held[held.run_id].fence("claimed again")
        self.held[held.run_id] = held
        self.claimed += 1
        log.info("run %s claimed (epoch %d)", held.run_id, held.epoch,
                 extra={"action": "claim", "run_id": held.run_id})  # fmt: skip
        task = asyncio.create_task(held.run(), name=f"xene-run-{held.run_id}")
        self.tasks.add(task)
        task.add_done_callback(lambda done: self._ended(held, done))
        if not self.claiming:  # claimed as the agent began to stop: leave it at once
            held.drain()

    def _ended(self, held: Held, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        if self.held.get(held.run_id) is held:
            del self.held[held.run_id]
        if not task.cancelled() and task.exception() is not None:
            log.error("run %s failed in the agent", held.run_id, exc_info=task.exception())
        self._changed.set()

    # -- stopping ---------------------------------------------------------------------------
    async def stop_claiming(self) -> None:
        """Claim nothing more. A claim under way is given up: a run the server handed
        over meanwhile is lost to it until its lease ends, and then taken by another."""
        self.claiming = False
        self._changed.set()
        if self._loop is not None:
            self._loop.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._loop

    async def drain(self, grace_s: float, leave: asyncio.Event) -> None:
        """Claim nothing more; running steps get `grace_s` to finish, then the runs are
        left (their leases released, for another agent to resume at once); then wait
        until the server has every commit, unless `leave` is set first (what is unsent
        stays in the spool)."""
        await self.stop_claiming()
        for held in list(self.held.values()):
            held.drain()
        if self.tasks:
            await _wait_all(set(self.tasks), leave, grace_s)
        for held in list(self.held.values()):
            await held.abandon()
        for held in list(self.held.values()):
            # Returned, an execution has committed all it will: cancelling what is left
            # (the sending) cannot make it record the run as cancelled.
            await held.executed.wait()
        if self.tasks:
            unsent = sum(h.outbox.unsent for h in self.held.values())
            log.info("waiting for %d runs' commits (%d) to reach a server; signal again to "
                     "leave them in %s", len(self.tasks), unsent, self.spool)  # fmt: skip
            await _wait_all(set(self.tasks), leave, None)
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.wait(set(self.tasks))


async def _wait_all(
    tasks: set[asyncio.Task[None]], leave: asyncio.Event, timeout: float | None
) -> None:
    """Until every task has ended, `leave` is set, or the timeout passes (the tasks go on)."""
    leaving = asyncio.ensure_future(leave.wait())
    ended = asyncio.ensure_future(asyncio.wait(tasks))  # cancelling it leaves them be
    try:
        await asyncio.wait({leaving, ended}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        leaving.cancel()
        ended.cancel()


def _spooled(path: Path) -> tuple[str, int] | None:
    """The run and epoch of a spool file (`RUN.EPOCH.jsonl`); None for another file."""
    run_id, _, epoch = path.stem.rpartition(".")
    return (run_id, int(epoch)) if run_id and epoch.isdigit() else None
