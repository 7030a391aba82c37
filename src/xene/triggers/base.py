"""What every trigger shares: the event it emits and the two-member protocol.

A trigger source is anything with a `name` and `async def run(emit)`. Cron and filesystem
triggers are loops that call `emit` each time they fire; a webhook is a route of the server
that calls `emit` itself (see `xene.triggers.webhook` for its pure helpers). Whoever
supplies `emit` turns each event into runs: one per pipeline that names the trigger, or
only the pipelines the event lists.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any, Protocol

from xene import ir
from xene.frozen import frozen


@frozen
class TriggerEvent:
    """One firing of a trigger: what to start and with which input.

    Attributes:
        workflow: the applied workflow's name.
        trigger: the trigger's name within that workflow.
        input: the run input (JSON-like: dicts, lists, text, numbers).
        idempotency_key: the same key never starts a second run; None when the event
            carries no natural identity (a file change).
        fired_at: when the event was produced, in seconds since the epoch.
        pipelines: the pipelines to start; empty means every pipeline of the workflow
            that names the trigger (see `pipelines_for`).
    """

    workflow: str
    trigger: str
    input: Any
    idempotency_key: str | None = None
    fired_at: float = 0.0
    pipelines: tuple[str, ...] = ()


Emit = Callable[[TriggerEvent], Awaitable[None]]
"""Called by a trigger source for each event; it returns once the runs are recorded."""


class TriggerSource(Protocol):
    """A running trigger: `run(emit)` loops until cancelled, calling `emit` per event."""

    @property
    def name(self) -> str:
        """`workflow/trigger`, for logs."""
        ...

    async def run(self, emit: Emit) -> None: ...


def pipelines_for(workflow: ir.Workflow, event: TriggerEvent) -> tuple[str, ...]:
    """The pipelines an event starts: those it lists, else those that name its trigger."""
    if event.pipelines:
        return event.pipelines
    return tuple(p.name for p in workflow.pipelines if event.trigger in p.triggers)


def iso(at: float) -> str:
    """`at` (seconds since the epoch) as ISO 8601 in UTC, e.g. `2024-05-01T12:00:00Z`."""
    moment = datetime.fromtimestamp(at, UTC)
    spec = "seconds" if moment.microsecond == 0 else "milliseconds"
    return moment.isoformat(timespec=spec).replace("+00:00", "Z")
