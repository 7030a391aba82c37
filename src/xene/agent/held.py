"""One run an agent holds, from its claim to its last commit sent: executed through the
engine's front door (`Engine.recover`) with a store that commits through the run's outbox.

A run whose lease has moved on (a 409 for its commits, or `lost` in a heartbeat reply) is
fenced: its steps are stopped at once (`execution.abandon()`, which ends their process
groups), its unsent commits are dropped, and nothing more of it is written.

The engine is imported on the first claim, not before: an idle agent stays small.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xene.agent.calls import AgentApi
from xene.agent.outbox import Outbox

if TYPE_CHECKING:
    from xene.engine.execution import Execution
    from xene.ir import Pipeline
    from xene.store.base import RunSource

log = logging.getLogger("xene.agent")
KEPT_PIPELINES = 16
"""Pipelines parsed from the last few definitions' texts, kept for the next claim."""
_pipelines: dict[tuple[str, str, str, str], Pipeline] = {}


def pipeline_of(source: RunSource) -> Pipeline | None:
    """The pipeline of a claimed run's recorded definition, parsed once per text (a
    manifest or flow of 500 nodes takes tens of milliseconds to parse; the runs of one
    pipeline share its text). None for a Python file, imported again for each run as
    it is on recovery, and for a text that does not load: `Engine.recover` then ends
    the run in Error, saying why."""
    if source.format == "python":
        return None
    key = (source.format, source.path, source.pipeline, source.text)
    found = _pipelines.get(key)
    if found is None:
        from xene.engine.durable import pipeline_of_source

        try:
            found = pipeline_of_source(source)
        except Exception:  # reported by Engine.recover, which loads it again
            return None
        if len(_pipelines) >= KEPT_PIPELINES:
            del _pipelines[next(iter(_pipelines))]
        _pipelines[key] = found
    return found


class Held:
    def __init__(self, claim: dict[str, Any], api: AgentApi, spool: Path, agent: str = "") -> None:
        self.claim = claim
        self.agent = agent
        """The agent's name: the run's containers are in its scope (`agent:NAME`, swept
        by it once it no longer holds the run); '': this process's own."""
        self.run_id, self.epoch = str(claim["run"]["id"]), int(claim["run"]["epoch"])
        self.api = api
        path = spool / f"{self.run_id}.{self.epoch}.jsonl"
        self.outbox = Outbox(path, api.commits_sender(self.run_id, self.epoch))
        self.execution: Execution | None = None
        self.executing = True
        """Its execution goes on: heartbeats renew its lease (not once it has ended or
        left the run, while its last commits are still being sent)."""
        self.executed = asyncio.Event()
        """Set once the execution has returned: only its commits' sending is left."""
        self.lost = False
        """Fenced: the run is another's now."""
        self._drain_asked = False
        """Asked before the execution existed: done once it does. (A cancellation asked
        then comes again with the next heartbeat reply.)"""
        self._doing: set[asyncio.Future[None]] = set()

    @property
    def reported(self) -> bool:
        """Whether heartbeats carry it (to renew its lease)."""
        return self.executing and not self.lost

    async def run(self) -> None:
        """Execute the run, then wait until the server has every commit (or fenced)."""
        sending = asyncio.create_task(self.outbox.run(), name=f"xene-outbox-{self.run_id}")
        sending.add_done_callback(self._sending_ended)
        try:
            await self._execute()
        finally:
            self.executing = False
            self.executed.set()
            self.outbox.close()
            await sending  # cancelled (the agent leaves at once): the spool file stays

    async def _execute(self) -> None:
        from xene.agent.remote_store import AgentRunStore
        from xene.engine.engine import Engine, Unrecoverable
        from xene.engine.options import EngineOptions
        from xene.executors.scopes import agent_scope
        from xene.store.base import Fenced
        from xene.store.wire import WireError, stored_run_of

        try:
            stored = stored_run_of(self.claim["run"])
        except WireError as exc:  # another version's form: leave the run to another agent
            log.error("run %s: %s; releasing it", self.run_id, exc)
            self._release()
            return
        if not await self._confirmed():
            log.warning("run %s: its lease moved on before it started here (the claim "
                        "came late); it is another's now", self.run_id)  # fmt: skip
            return
        secrets = {str(k): str(v) for k, v in (self.claim.get("secrets") or {}).items()}
        options = EngineOptions(
            secrets=secrets,
            lease_s=float(self.claim["lease_s"]),
            container_scope=agent_scope(self.agent) if self.agent else "",
        )
        store = AgentRunStore(self.run_id, self.epoch, self.outbox, self.api)
        try:
            pipeline = pipeline_of(stored.source)
            self.execution = execution = await Engine(options, store).recover(stored, pipeline)
        except Unrecoverable as exc:  # committed in Error with the reason
            log.error("%s", exc)
            return
        except Fenced:
            return
        if self.lost:
            return
        self._apply_asked(execution)
        try:
            await execution.execute()
        except Fenced:
            log.warning("run %s was taken over: its lease moved on", self.run_id)
        finally:
            await self._settle(execution)

    async def _settle(self, execution: Execution) -> None:
        """Nothing of the run goes on once its execution returns (or raised)."""
        if self._doing:
            await asyncio.gather(*self._doing, return_exceptions=True)
        if not execution.finished:  # left (drained, fenced): no step may outlive it
            await execution.abandon()

    async def _confirmed(self) -> bool:
        """Whether the lease is still the agent's before anything of the run is done
        here. A claim read late (the agent was frozen while the server answered it) may
        be stale, and recovering it would end the steps of the run's new holder on this
        host (the engine ends a run's orphans, found by their environment). A claim
        taken less than a third of a lease ago is fresh (the server's clock need not
        agree with ours: `age` is measured here); an older one is confirmed by a first
        commit renewing the lease (the server puts its own clock's time), waited for."""
        if float(self.claim.get("age", float("inf"))) < float(self.claim["lease_s"]) / 3:
            return True
        from xene.store.base import Batch
        from xene.store.wire import batch_json

        self.outbox.put({"batch": batch_json(Batch(lease_until=1.0))})
        return await self.outbox.sent_all()

    def _release(self) -> None:
        from xene.store.base import Batch
        from xene.store.wire import batch_json

        self.outbox.put({"batch": batch_json(Batch(lease_until=0.0))})

    def _apply_asked(self, execution: Execution) -> None:
        if self._drain_asked:
            execution.drain()

    def _do(self, work: Any) -> None:
        future = asyncio.ensure_future(work)
        self._doing.add(future)
        future.add_done_callback(self._doing.discard)

    def _sending_ended(self, sending: asyncio.Task[None]) -> None:
        if self.outbox.fenced:
            self.fence("the server refused its commits")

    def fence(self, why: str) -> None:
        """The run is not the agent's any more: stop its steps now, drop what is unsent."""
        if self.lost:
            return
        self.lost = True
        log.warning("run %s: %s; its lease has moved on, so its steps are stopped",
                    self.run_id, why)  # fmt: skip
        self.outbox.fence()
        if self.execution is not None and not self.execution.finished:
            self._do(self.execution.abandon())

    def cancel(self, reason: str) -> None:
        """Cancel the run (once: every heartbeat reply asks again until it has ended)."""
        execution = self.execution
        if execution is not None and not (execution.finished or execution.cancelling):
            self._do(execution.cancel(reason))

    def drain(self) -> None:
        """Start no new node; leave the run once the running ones end."""
        if self.execution is None:
            self._drain_asked = True
        else:
            self.execution.drain()

    async def abandon(self) -> None:
        """Stop running nodes now and leave the run (its lease released)."""
        if self.execution is not None and not self.execution.finished:
            await self.execution.abandon()
