"""Keeps one running task per looping trigger (cron, filesystem) of the applied workflows.

Level-triggered: `reconcile(workflows)` is given the whole desired state, every applied
workflow, and converges to it: triggers no longer wanted stop, new ones start, changed
ones (another type or other params) restart, unchanged ones are left running untouched.
A source that crashes is logged and restarted after an exponential backoff, reusing the
same source object so that it keeps what it knows (a cron trigger's last fire). Webhook
and manual triggers have no loop: the server's routes emit their events.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from xene import ir
from xene.core.retry import backoff_ms
from xene.engine.clock import Clock, SystemClock
from xene.frozen import frozen
from xene.triggers import base
from xene.triggers.cron import CronTrigger, FireLog
from xene.triggers.files import FileTrigger

log = logging.getLogger(__name__)

LOOPING_TYPES = frozenset({"cron", "filesystem"})
"""Trigger types that run as a task of their own."""

RESTART_POLICY = ir.RetryPolicy(max_attempts=2**31, initial_delay_ms=1000, max_delay_ms=60_000)
"""Backoff between restarts of a crashed source: 1 s, 2 s, 4 s... up to a minute."""

Key = tuple[str, str]
"""(workflow, trigger)."""

SourceFactory = Callable[[str, ir.Trigger], base.TriggerSource]
"""Builds the source of a workflow's trigger; raises ValueError for an unusable one."""


@frozen
class Desired:
    """A trigger that should be running, with a digest of what it does."""

    workflow: str
    trigger: ir.Trigger
    digest: str

    @property
    def key(self) -> Key:
        return (self.workflow, self.trigger.name)


@frozen
class Reconciled:
    """What one `reconcile` changed."""

    started: tuple[Key, ...] = ()
    stopped: tuple[Key, ...] = ()
    restarted: tuple[Key, ...] = ()
    unchanged: tuple[Key, ...] = ()


@frozen
class TriggerStatus:
    """A running trigger, for the API and `/ready`."""

    workflow: str
    trigger: str
    type: str
    restarts: int
    last_error: str | None


@dataclass(slots=True)
class _Running:
    desired: Desired
    task: asyncio.Task[None] | None = None
    restarts: int = 0
    last_error: str | None = None


def digest(trigger: ir.Trigger) -> str:
    """A hash of a trigger's type and params: equal digests mean nothing to restart."""
    text = json.dumps([trigger.type, trigger.params], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def desired_triggers(workflows: Iterable[tuple[str, ir.Workflow]]) -> dict[Key, Desired]:
    """The enabled cron and filesystem triggers that start at least one pipeline."""
    found: dict[Key, Desired] = {}
    for name, workflow in workflows:
        used = {t for pipeline in workflow.pipelines for t in pipeline.triggers}
        for trigger in workflow.triggers:
            if trigger.enabled and trigger.type in LOOPING_TYPES and trigger.name in used:
                wanted = Desired(name, trigger, digest(trigger))
                found[wanted.key] = wanted
    return found


def check_triggers(
    workflows: Iterable[tuple[str, ir.Workflow]], factory: SourceFactory
) -> list[str]:
    """The problems building each desired trigger would hit (for refusing an apply)."""
    problems = []
    for wanted in desired_triggers(workflows).values():
        try:
            factory(wanted.workflow, wanted.trigger)
        except ValueError as exc:
            problems.append(f"{wanted.trigger.loc}: {exc}")
    return problems


def source_factory(*, clock: Clock, store: FireLog, roots: Iterable[str | Path]) -> SourceFactory:
    """The factory of the built-in sources: cron (on `store`) and filesystem (in `roots`)."""
    allowed = tuple(roots)

    def make(workflow: str, trigger: ir.Trigger) -> base.TriggerSource:
        if trigger.type == "cron":
            return CronTrigger(workflow, trigger, clock, store)
        if trigger.type == "filesystem":
            return FileTrigger.from_trigger(workflow, trigger, allowed, clock=clock)
        raise ValueError(f'trigger "{trigger.name}" of type {trigger.type} has no loop to run')

    return make


class TriggerController:
    """Runs the looping triggers of the applied workflows; see the module docstring.

    Args:
        factory: builds a source per trigger (`source_factory(...)` in the server).
        emit: called with every event of every source.
        clock: for the backoff between restarts.
        policy: the restart backoff.
        rng: a number in [0, 1) per restart, for jitter.
    """

    def __init__(
        self,
        factory: SourceFactory,
        emit: base.Emit,
        *,
        clock: Clock | None = None,
        policy: ir.RetryPolicy = RESTART_POLICY,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._factory = factory
        self._emit = emit
        self._clock = clock or SystemClock()
        self._policy = policy
        self._rng = rng
        self._running: dict[Key, _Running] = {}
        self._lock = asyncio.Lock()

    async def __aenter__(self) -> TriggerController:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def reconcile(self, workflows: Iterable[tuple[str, ir.Workflow]]) -> Reconciled:
        """Converge the running triggers to those of `workflows` (all applied ones)."""
        desired = desired_triggers(workflows)
        async with self._lock:
            running = list(self._running)
            removed = [key for key in running if key not in desired]
            changed = [key for key in running if key in desired and self._stale(key, desired)]
            unchanged = [key for key in running if key in desired and key not in changed]
            added = [key for key in desired if key not in self._running]
            await self._stop(removed + changed)
            for key in changed + added:
                self._start(desired[key])
        result = Reconciled(tuple(added), tuple(removed), tuple(changed), tuple(unchanged))
        self._log_result(result)
        return result

    def status(self) -> list[TriggerStatus]:
        """The running triggers, how often each restarted and its last error."""
        return [
            TriggerStatus(
                key[0], key[1], entry.desired.trigger.type, entry.restarts, entry.last_error
            )
            for key, entry in sorted(self._running.items())
        ]

    async def stop(self) -> None:
        """Stop every trigger and wait until they have stopped."""
        async with self._lock:
            await self._stop(list(self._running))

    def _stale(self, key: Key, desired: dict[Key, Desired]) -> bool:
        entry = self._running[key]
        dead = entry.task is None or entry.task.done()
        return dead or entry.desired.digest != desired[key].digest

    def _start(self, wanted: Desired) -> None:
        entry = _Running(wanted)
        name = f"trigger {wanted.workflow}/{wanted.trigger.name}"
        entry.task = asyncio.create_task(self._supervise(entry), name=name)
        self._running[wanted.key] = entry

    async def _stop(self, keys: list[Key]) -> None:
        tasks = [task for key in keys if (task := self._running.pop(key).task) is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks)

    async def _supervise(self, entry: _Running) -> None:
        """Build the source once, then run it; after each crash, back off and run it again."""
        wanted = entry.desired
        source: base.TriggerSource | None = None
        attempt = 0
        while True:
            began = self._clock.monotonic()
            try:
                if source is None:
                    source = self._factory(wanted.workflow, wanted.trigger)
                await source.run(self._emit)
                problem: Exception = RuntimeError("the trigger stopped by itself")
            except Exception as exc:
                problem = exc
            healthy = self._clock.monotonic() - began >= self._policy.max_delay_ms / 1000
            attempt = 1 if healthy else attempt + 1
            delay = backoff_ms(self._policy, attempt, self._rng()) / 1000
            self._crashed(entry, problem, delay)
            await self._clock.sleep(delay)

    def _crashed(self, entry: _Running, problem: Exception, delay: float) -> None:
        entry.restarts += 1
        entry.last_error = f"{type(problem).__name__}: {problem}"
        name = f"{entry.desired.workflow}/{entry.desired.trigger.name}"
        log.error(
            "trigger %s failed (%s); restarting in %.1f s",
            name,
            entry.last_error,
            delay,
            exc_info=problem,
            extra={"action": "trigger.crashed", "trigger": name},
        )

    def _log_result(self, result: Reconciled) -> None:
        changes = {"started": result.started, "stopped": result.stopped}
        changes["restarted"] = result.restarted
        for verb, keys in changes.items():
            for workflow, trigger in keys:
                name, action = f"{workflow}/{trigger}", f"trigger.{verb}"
                log.info("trigger %s %s", name, verb, extra={"action": action, "trigger": name})
