"""`xene run` of a state-machine definition: a new instance, then the given events."""

from __future__ import annotations

import asyncio
import sys
from typing import Any

from xene.core.fsm import EventRefused, fire
from xene.engine.clock import new_id
from xene.spec.ir import StateMachine, Workflow


def run_state_machines(
    workflow: Workflow, events: list[str], data: Any, env: dict[str, str]
) -> int:
    code = 0
    for machine in workflow.state_machines:
        code = max(code, _run_one(workflow, machine, events, data, env))
    return code


def _run_one(
    workflow: Workflow, machine: StateMachine, events: list[str], data: Any, env: dict[str, str]
) -> int:
    instance = new_id()
    state = machine.initial_state
    print(f"instance {instance} of {machine.name}: {state}")
    if not _enter(workflow, machine, state, data, env):
        return 1
    for event in events:
        try:
            state_after = fire(machine, state, event)
        except EventRefused as exc:
            print(f"refused: {exc}", file=sys.stderr)
            return 1
        print(f"  {event}: {state} → {state_after}")
        state = state_after
        if not _enter(workflow, machine, state, data, env):
            return 1
    available = ", ".join(machine.available_events(state)) or "none (a final state)"
    print(f"instance {instance} is in {state}; available events: {available}")
    return 0


def _enter(
    workflow: Workflow, machine: StateMachine, state: str, data: Any, env: dict[str, str]
) -> bool:
    """Run the state's `on_enter` pipeline, if any; False if it failed."""
    name = machine.on_enter.get(state)
    if name is None:
        return True
    from xene.cli.display import PlainDisplay
    from xene.engine.engine import Engine
    from xene.engine.options import EngineOptions

    display = PlainDisplay()
    engine = Engine(EngineOptions(listeners=(display,), env=env))
    execution = engine.prepare(workflow.pipeline(name), data, workflow=workflow.name)
    display.begin(execution.run)
    run = asyncio.run(execution.execute())
    display.end(run)
    return run.succeeded
