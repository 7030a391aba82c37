"""The server's trigger controllers: cron and filesystem triggers of applied workflows,
each firing into `Runtime.fire` (webhooks and manual runs come in through the API)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xene.triggers import webhook
from xene.triggers.base import TriggerEvent
from xene.triggers.controller import (
    SourceFactory,
    TriggerController,
    check_triggers,
    source_factory,
)

if TYPE_CHECKING:
    from xene.ir import Workflow
    from xene.server.runtime import Runtime


async def start_triggers(runtime: Runtime) -> TriggerController:
    """A controller running the triggers of every applied workflow."""

    async def emit(event: TriggerEvent) -> None:
        await runtime.fire(event.workflow, event.trigger, event.input, event.idempotency_key)

    controller = TriggerController(_factory(runtime), emit, clock=runtime.clock)
    await controller.reconcile(runtime.desired_triggers())
    return controller


def trigger_problems(runtime: Runtime, name: str, definition: Workflow) -> list[str]:
    """Why a workflow's triggers cannot run here (a path outside the roots, ...)."""
    problems = check_triggers([(name, definition)], _factory(runtime))
    for trigger in definition.triggers:
        if trigger.type in ("webhook", "default"):
            problems.extend(f"{trigger.loc}: {p}" for p in webhook.param_problems(trigger.params))
    return problems


def _factory(runtime: Runtime) -> SourceFactory:
    return source_factory(clock=runtime.clock, store=runtime.store, roots=runtime.config.fs_roots)
