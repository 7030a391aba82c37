"""The server over the use cases of `xene.service`: applied workflows and their triggers,
runs queued for its agent, decisions.

The API, the trigger controllers and the built-in agent all act through a `Runtime`; it
holds no state of its own that the store does not have (workflows are cached, and
reloaded from the store on start), so any number of servers can share one store.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from xene.core.records import Listener, RunRecord
from xene.core.states import Decision, PipelineMode
from xene.engine.clock import Clock, clock_from_env, new_id
from xene.ir import Pipeline, Workflow
from xene.secrets.vault import Vault
from xene.server import watch
from xene.server.agent import Agent
from xene.server.config import ServerConfig
from xene.server.hub import EventHub
from xene.server.metrics import Metrics
from xene.server.presence import Presence
from xene.server.pressure import QueueBound, QueueFull
from xene.service.errors import Conflict, NotFound  # raised here, re-exported
from xene.service.workflows import Applied
from xene.store.base import (
    AppliedWorkflow,
    ApprovalRecord,
    RunRetry,
    RunSource,
    ServerStore,
)

__all__ = ["Applied", "Conflict", "NotFound", "Runtime"]
log = logging.getLogger("xene.server")
WATCH_S = 5.0
"""How often a server looks for workflows applied or deleted through another server."""
RECENT_S = 1.0
"""How long a workflow read from the store is taken as current by `recent_workflow`."""


class Runtime:
    def __init__(
        self,
        store: ServerStore,
        config: ServerConfig | None = None,
        *,
        clock: Clock | None = None,
        listeners: tuple[Listener, ...] = (),
    ) -> None:
        self.store = store
        self.config = config or ServerConfig()
        self.clock = clock or clock_from_env()
        self.hub = EventHub()
        self.metrics = Metrics()
        self.listeners = (self.hub, self.metrics, *listeners)
        self.workflows: dict[str, tuple[AppliedWorkflow, Workflow]] = {}
        self._read_at: dict[str, float] = {}
        """When each workflow was last read from the store (`clock.monotonic`)."""
        self.secrets = Vault(store, "this server's store")
        """Encrypted with this process's key: `XENE_SECRET_KEY`, else $XENE_HOME/secret.key."""
        self.agent = Agent(self)
        self.presence = Presence(self)
        """The built-in agent among the store's agents (server/presence.py)."""
        self.bound = QueueBound(store, self.config.max_queued, self.clock)
        """Refuses new runs while too many wait for an executor (server/pressure.py)."""
        self.triggers: Any = None
        self._watcher: asyncio.Task[None] | None = None
        self._remote: asyncio.Task[None] | None = None
        self.remote = watch.RemoteChanges(self)
        self.started = False

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        """Load applied workflows, start triggers and the agent, unless it is off (the
        agent resumes orphaned runs: their leases have expired, so it claims them like
        queued ones)."""
        await self._load_changed()
        await self._start_triggers()
        if self.config.agent:
            self.agent.start()
            self.presence.start()
        self._watcher = asyncio.create_task(self._watch_workflows(), name="xene-workflows")
        self._remote = asyncio.create_task(self.remote.loop(), name="xene-remote-runs")
        self.started = True

    async def refresh(self) -> bool:
        """Converge on the workflows in the store (another server may have applied or
        deleted some): True when something changed and the triggers were reconciled."""
        if not await self._load_changed():
            return False
        await self._reconcile_triggers()
        return True

    async def _load_changed(self) -> bool:
        applied = {w.name: w for w in await self.store.list_workflows()}
        changed = False
        for name in [n for n in self.workflows if n not in applied]:
            del self.workflows[name]
            changed = True
        for name, workflow in applied.items():
            known = self.workflows.get(name)
            if known is not None and known[0].version == workflow.version:
                continue
            try:
                self.workflows[name] = (workflow, _load(workflow))
                changed = True
            except Exception as exc:  # an applied definition that no longer loads
                log.error("cannot load workflow %s: %s", name, exc)
        return changed

    async def _watch_workflows(self) -> None:
        """Level-triggered: look at the store every few seconds and converge, so that
        every server runs the triggers of every applied workflow."""
        while True:
            await asyncio.sleep(WATCH_S)
            try:
                await self.refresh()
                await self.expire_approvals()
            except Exception:  # the store is away: converge at the next look
                log.exception("reloading workflows failed", extra={"action": "refresh"})

    async def expire_approvals(self) -> list[str]:
        """Decide the approvals whose timeout passed with their `timeout_action`, and queue
        their runs again: a suspended run has no process of its own to notice."""
        from xene.service import approvals

        expired = await approvals.expire(self.store, self.clock.now())
        for decided in expired:
            await self.store.requeue_run(decided.run_id)
        if expired:
            self.agent.wake()
        return [decided.hook_id for decided in expired]

    def begin_stop(self) -> None:
        """Take no more work and start no more nodes, now (callable from a signal
        handler); `stop` then waits for what runs."""
        log.info("stopping: no new work; running steps may finish (grace %ss)", self.config.grace_s)
        self.agent.begin_stop()
        try:  # from a signal handler too: the hub's queues are the loop's to touch
            asyncio.get_running_loop().call_soon_threadsafe(self.hub.close)
        except RuntimeError:  # no loop runs: nobody can be subscribed
            self.hub.close()

    async def stop(self, grace_s: float | None = None) -> None:
        """Take no more work; let running steps finish within the grace period; leave
        every unfinished run resumable."""
        await watch.stop(self._watcher)
        await watch.stop(self._remote)
        if self.triggers is not None:
            await self.triggers.stop()
        await self.agent.stop(self.config.grace_s if grace_s is None else grace_s)
        await self.presence.stop()
        self.started = False

    async def _start_triggers(self) -> None:
        from xene.server.scheduling import start_triggers

        self.triggers = await start_triggers(self)

    async def _reconcile_triggers(self) -> None:
        if self.triggers is not None:
            await self.triggers.reconcile(self.desired_triggers())

    def desired_triggers(self) -> list[tuple[str, Workflow]]:
        return [(name, definition) for name, (_, definition) in self.workflows.items()]

    # -- workflows ----------------------------------------------------------------------
    async def apply(self, text: str, filename: str) -> Applied:
        """Create or update a workflow from its definition text (service.workflows.apply
        says what refuses it), then converge the triggers to it."""
        from xene.server.scheduling import trigger_problems
        from xene.service import workflows

        def problems(definition: Workflow) -> list[str]:
            return trigger_problems(self, definition.name, definition)

        now, where = self.clock.now(), "this server's store"
        applied = await workflows.apply(self.store, text, filename, now, problems, where)
        self.workflows[applied.definition.name] = (applied.workflow, applied.definition)
        self._read_at[applied.definition.name] = self.clock.monotonic()
        if applied.changed:
            await self._reconcile_triggers()
        return applied

    async def delete(self, name: str) -> None:
        if not await self.store.delete_workflow(name):
            raise NotFound(f"no workflow {name!r}")
        self.workflows.pop(name, None)
        self._read_at.pop(name, None)
        await self._reconcile_triggers()

    async def workflow(self, name: str) -> tuple[AppliedWorkflow, Workflow]:
        """The workflow as the store has it now (another server may have updated it)."""
        return self._loaded(name, await self.store.get_workflow(name))

    async def workflow_and_modes(
        self, name: str
    ) -> tuple[AppliedWorkflow, Workflow, dict[str, PipelineMode]]:
        """`workflow`, with the modes its pipelines have set, in one read of the store."""
        found = await self.store.workflow_and_modes(name)
        applied, modes = (None, {}) if found is None else found
        return (*self._loaded(name, applied), modes)

    async def recent_workflow(self, name: str) -> tuple[AppliedWorkflow, Workflow]:
        """`workflow`, or the one this server read within `RECENT_S` (for a check after
        each run, where a webhook's delivery has just read it)."""
        known = self.workflows.get(name)
        read_at = self._read_at.get(name, float("-inf"))
        if known is not None and self.clock.monotonic() - read_at < RECENT_S:
            return known
        return await self.workflow(name)

    def _loaded(
        self, name: str, applied: AppliedWorkflow | None
    ) -> tuple[AppliedWorkflow, Workflow]:
        if applied is None:
            self.workflows.pop(name, None)
            self._read_at.pop(name, None)
            raise NotFound(f"no workflow {name!r}; `xene apply FILE` creates it")
        known = self.workflows.get(name)
        if known is None or known[0].version != applied.version:
            known = self.workflows[name] = (applied, _load(applied))
        self._read_at[name] = self.clock.monotonic()
        return known

    async def set_mode(self, workflow: str, pipeline: str, mode: PipelineMode | str) -> None:
        """`mode`: a `PipelineMode`, or its word."""
        from xene.service import pipelines

        _, definition = await self.workflow(workflow)
        now = self.clock.now()
        if await pipelines.set_mode(self.store, definition, pipeline, mode, now) is (
            PipelineMode.STOPPED
        ):
            from xene.service import agent_work

            await self.agent.cancel_pipeline(workflow, pipeline)
            await agent_work.cancel_on_agents(self.store, workflow, pipeline)

    async def run_ended(self, run: RunRecord) -> None:
        """A run this server executed has stopped: its pipeline's circuit breaker may trip."""
        from xene.server import breakers

        try:
            await breakers.run_ended(self, run)
        except Exception:  # the store is away: the next run's end checks again
            log.exception("checking the circuit breaker failed", extra={"run_id": run.id})

    # -- runs ---------------------------------------------------------------------------
    async def trigger(
        self,
        workflow: str,
        pipeline: str,
        data: Any = None,
        *,
        idempotency_key: str | None = None,
        admitted: bool = False,
    ) -> tuple[str, bool]:
        """Queue a run of a pipeline; `(run id, created)`. Refused unless it is active
        (Conflict), and while the queue is full (QueueFull) unless the caller `admitted`
        the run already (`admit`, once for all the runs of one delivery)."""
        from xene.service import pipelines

        applied, definition = await self.workflow(workflow)
        await pipelines.refuse_unless_active(self.store, definition, pipeline)
        if not admitted:
            await self.admit("manual")
        source = RunSource(applied.filename, applied.text, applied.format, workflow, pipeline)
        return await self.queue(source, data, idempotency_key=idempotency_key)

    async def start_admitted(
        self,
        applied: AppliedWorkflow,
        pipelines: list[str],
        data: Any,
        key: str | None,
        modes: dict[str, PipelineMode] | None = None,
        trigger: str | None = None,
    ) -> list[tuple[str, bool]]:
        """Queue a run of each of a trigger's pipelines that is active (`(run id,
        created)` each), for a fire `admit`ted already; the others drop the fire. The
        workflow is the one the caller just read: no second read per pipeline (nor of
        the `modes`, when the caller read them with it)."""
        if modes is None:
            modes = await self.store.pipeline_modes(applied.name)
        queued = []
        for pipeline in pipelines:
            if modes.get(pipeline, PipelineMode.ACTIVE) is not PipelineMode.ACTIVE:
                continue  # paused, draining or stopped: the fire is dropped for it
            pkey = None if key is None else f"{key}/{pipeline}"
            source = RunSource(
                applied.filename, applied.text, applied.format, applied.name, pipeline
            )
            queued.append(await self.queue(source, data, idempotency_key=pkey, trigger=trigger))
        return queued

    def pipeline_of(self, source: RunSource) -> Pipeline | None:
        """The pipeline of a run queued here from the applied workflow loaded already,
        when the run's recorded definition is that one (the common case: no parse per
        run); None: the engine loads it from the record."""
        known = self.workflows.get(source.workflow)
        if known is None or source.format == "python":
            return None
        applied, definition = known
        if (applied.text, applied.filename, applied.format) != (
            source.text,
            source.path,
            source.format,
        ):
            return None
        try:
            return definition.pipeline(source.pipeline)
        except KeyError:
            return None

    def labels_of(self, source: RunSource) -> tuple[str, ...]:
        """The agent labels `source`'s pipeline needs (`labels_needed`: `docker` for a
        container pipeline): from its workflow as loaded here
        when the texts agree (a Python one too: no import per queued run), else parsed
        from the source (a definition that no longer loads needs none: its run fails,
        wherever it runs)."""
        known = self.workflows.get(source.workflow)
        if known is not None and known[0].text == source.text:
            try:
                return known[1].pipeline(source.pipeline).labels_needed
            except KeyError:
                return ()
        from xene.engine.durable import pipeline_of_source

        try:
            return pipeline_of_source(source).labels_needed
        except Exception:
            return ()

    async def queue(
        self,
        source: RunSource,
        data: Any,
        *,
        idempotency_key: str | None = None,
        trigger: str | None = None,
    ) -> tuple[str, bool]:
        """Queue a run of `source`'s pipeline for an agent; `(run id, created)`; `trigger`:
        the workflow trigger whose fire it is (None: by hand)."""
        from xene.service import runs

        now, labels = self.clock.now(), self.labels_of(source)
        wanted = runs.Wanted(source, data, idempotency_key, labels, trigger)
        run_id, created = await runs.queue(self.store, wanted, now, new_id)
        if created:
            self.metrics.runs_started.labels(source.workflow, source.pipeline).inc()
            self.agent.wake()
        return run_id, created

    async def fire(self, workflow: str, trigger: str, data: Any, key: str | None) -> list[str]:
        """A trigger fired: queue a run of every active pipeline it starts; while the
        queue is full, none (the fire is skipped, logged and kept in the store)."""
        applied, definition = await self.workflow(workflow)
        kind = next((t.type for t in definition.triggers if t.name == trigger), "unknown")
        pipelines = [p.name for p in definition.pipelines if trigger in p.triggers]
        try:
            await self.admit(kind, len(pipelines))
        except QueueFull as exc:
            await self._skip_fire(workflow, trigger, kind, exc)
            return []
        started = []
        admitted = await self.start_admitted(applied, pipelines, data, key, trigger=trigger)
        for run_id, created in admitted:
            if created:
                self.metrics.trigger_fires.labels(kind).inc()
                started.append(run_id)
        return started

    async def admit(self, kind: str, runs: int = 1) -> None:
        """Make room for `runs` new runs started by a trigger of type `kind` (`manual`
        for the API), or raise QueueFull: the server's queue is full."""
        try:
            await self.bound.admit(runs)
        except QueueFull:
            self.metrics.refused.labels(kind).inc()
            raise

    async def _skip_fire(self, workflow: str, trigger: str, kind: str, full: QueueFull) -> None:
        name = f"{workflow}/{trigger}"
        reason = full.skipped
        log.warning(
            "trigger %s fired but started nothing: %s",
            name,
            reason,
            extra={"action": "trigger.skipped", "trigger": name},
        )
        try:
            await self.store.record_skipped_fire(workflow, trigger, reason, self.clock.now())
        except Exception:  # the store is away: the warning above says it all
            log.exception("recording the skipped fire of %s failed", name)

    async def cancel(self, run_id: str, by: str = "") -> None:
        """Cancel the run: here if this server executes it, else by the rules of
        `service.runs.cancel` (ended at once if nobody executes it, else its executor
        is asked through the store)."""
        from xene.service import runs

        if await self.agent.cancel(run_id):
            return
        stored = await self.store.get_run(run_id)
        if stored is None:
            raise NotFound(f"no run {run_id!r}")
        try:
            await runs.cancel(self.store, stored, by or "the API", self.clock.now())
        except runs.NotCancellable as exc:
            raise Conflict(str(exc)) from exc

    async def retry(self, run_id: str, by: str = "", from_node: str | None = None) -> RunRetry:
        from xene.service import runs

        stored = await self.store.get_run(run_id)
        if stored is None:
            raise NotFound(f"no run {run_id!r}")
        try:
            request = runs.retry_request(stored, by, self.clock.now(), from_node)
            done = await runs.retry(self.store, stored, request)
        except runs.UnknownNode as exc:
            raise NotFound(str(exc)) from exc
        except runs.NotRetryable as exc:
            raise Conflict(str(exc)) from exc
        self.agent.wake()
        return done

    async def decide(
        self, hook: str, decision: Decision, data: Any = None, reason: str = ""
    ) -> ApprovalRecord:
        from xene.service import approvals

        decided = await approvals.decide(self.store, hook, decision, data, reason, self.clock.now())
        await self.store.requeue_run(decided.run_id)
        self.agent.wake()
        return decided

    async def ready(self) -> bool:
        """The store answers and the agent runs."""
        try:
            await asyncio.wait_for(self.store.count_runs(), timeout=5)
        except Exception:
            return False
        return self.started


def _load(applied: AppliedWorkflow) -> Workflow:
    from xene.spec.load import load_text

    return load_text(applied.text, applied.filename)
