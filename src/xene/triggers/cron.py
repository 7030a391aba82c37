"""The cron trigger: a loop that sleeps until the next scheduled instant, then fires.

Each instant is recorded in the store under a unique key before it is emitted, so any
number of servers sharing one store fire it once. The maths lives in
`xene.triggers.schedule` (pure); this module only adds the clock, the store and `emit`.

Trigger params (both definition formats): `cron` (the normalised schedule the loaders
store), `timezone` (IANA name, default UTC) and `catchup` (default false).
"""

from __future__ import annotations

import logging
from dataclasses import replace
from typing import Protocol

from xene import ir
from xene.engine.clock import Clock
from xene.frozen import frozen
from xene.triggers import base
from xene.triggers.schedule import fires_between, next_fire

__all__ = ["CATCHUP_LIMIT", "LATE_GRACE_S", "CronTrigger", "FireLog", "Schedule", "next_fire"]

log = logging.getLogger(__name__)

LATE_GRACE_S = 60.0
"""A fire this late (the process was busy or the machine asleep) still counts as on time;
a later one is a missed fire, skipped unless the trigger has `catchup: true`."""

CATCHUP_LIMIT = 1000
"""With `catchup: true`, at most this many missed fires (the newest) are emitted."""


class FireLog(Protocol):
    """The part of the store a cron trigger needs (`xene.store.Store` has it)."""

    async def record_fire(self, trigger_id: str, fire_key: str, at: float) -> bool: ...

    async def last_fire(self, trigger_id: str) -> float | None: ...


@frozen
class Schedule:
    """When a cron trigger fires: a croniter expression, a timezone, catch-up or not."""

    expression: str
    timezone: str | None = None
    catchup: bool = False

    @classmethod
    def of(cls, trigger: ir.Trigger) -> Schedule:
        """The schedule in a cron trigger's params; ValueError if it cannot be used."""
        params = trigger.params
        expression = params.get("cron")
        if not isinstance(expression, str) or not expression:
            raise ValueError(
                f'cron trigger "{trigger.name}" has no schedule; give it one such as '
                '"*/5 * * * *" (cronConfig in a manifest, params.schedule in a flow)'
            )
        timezone = params.get("timezone")
        if timezone is not None and not isinstance(timezone, str):
            raise ValueError(f'cron trigger "{trigger.name}": timezone must be a name, e.g. UTC')
        catchup = params.get("catchup", False)
        if not isinstance(catchup, bool):
            raise ValueError(f'cron trigger "{trigger.name}": catchup must be true or false')
        found = cls(expression, timezone, catchup)
        next_fire(expression, 0.0, timezone)  # an invalid schedule or zone fails here
        return found


class CronTrigger:
    """Fires a workflow's cron trigger at each scheduled instant, never at registration.

    Args:
        workflow: the workflow's name.
        trigger: the cron trigger (its params hold the schedule).
        clock: wall time and sleeping (a fake one in tests).
        store: records each fire; only the first recorder of an instant emits it.
        catchup: emit missed fires after downtime (None: the trigger's `catchup` param).
        last_fire: the last instant already fired, if known; with catchup, the fires
            missed since then are emitted first, oldest first.
    """

    def __init__(
        self,
        workflow: str,
        trigger: ir.Trigger,
        clock: Clock,
        store: FireLog,
        *,
        catchup: bool | None = None,
        last_fire: float | None = None,
    ) -> None:
        found = Schedule.of(trigger)
        self.schedule = found if catchup is None else replace(found, catchup=catchup)
        self.workflow = workflow
        self.trigger = trigger.name
        self.last_fire = last_fire
        self._clock = clock
        self._store = store

    @property
    def name(self) -> str:
        return f"{self.workflow}/{self.trigger}"

    async def run(self, emit: base.Emit) -> None:
        """Sleep until each scheduled instant and fire it; runs until cancelled.

        With catchup, fires missed while no server ran (since the last recorded fire) are
        emitted first."""
        if self.last_fire is None and self.schedule.catchup:
            self.last_fire = await self._store.last_fire(self.name)
        cursor = self._clock.now() if self.last_fire is None else self.last_fire
        while True:
            now = self._clock.now()
            for at in self._due(cursor, now):
                await self._fire(at, emit)
            cursor = max(cursor, now)
            upcoming = next_fire(self.schedule.expression, cursor, self.schedule.timezone)
            await self._clock.sleep(max(upcoming - self._clock.now(), 0.0))

    def _due(self, cursor: float, now: float) -> list[float]:
        """The instants in (cursor, now] to fire now: all (catch-up) or the latest on time."""
        expression, tz = self.schedule.expression, self.schedule.timezone
        if self.schedule.catchup:
            return fires_between(expression, cursor, now, tz, limit=CATCHUP_LIMIT)
        recent = fires_between(expression, cursor, now, tz, limit=2)
        on_time = [at for at in recent[-1:] if now - at <= LATE_GRACE_S]
        missed = [at for at in recent if at not in on_time]
        if missed:
            log.info(
                "%s: skipping missed fires, the last at %s (catchup: true would run them)",
                self.name,
                base.iso(missed[-1]),
                extra={"action": "trigger.cron.skip", "trigger": self.name},
            )
        return on_time

    async def _fire(self, at: float, emit: base.Emit) -> None:
        key = base.iso(at)
        fired_at = self._clock.now()
        self.last_fire = at
        if not await self._store.record_fire(self.name, key, fired_at):
            log.debug(
                "%s: %s already fired (another server)",
                self.name,
                key,
                extra={"action": "trigger.cron.duplicate", "trigger": self.name},
            )
            return
        scheduled = {"trigger": self.trigger, "scheduled_at": key, "fired_at": base.iso(fired_at)}
        await emit(
            base.TriggerEvent(
                workflow=self.workflow,
                trigger=self.trigger,
                input=scheduled,
                idempotency_key=f"cron:{self.name}/{key}",
                fired_at=fired_at,
            )
        )
