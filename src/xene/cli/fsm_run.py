"""`xene run` of a state-machine definition: a new instance, then the given events.

This runs in memory, once; `xene fsm define/run/event` keep machines and instances in
the store.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass, field
from typing import Any

from xene.core.fsm import EventRefused, fire
from xene.core.records import RunRecord
from xene.engine.clock import new_id
from xene.ir import StateMachine, Workflow


@dataclass(slots=True)
class _Walk:
    """One instance's path through its machine, for the report."""

    machine: StateMachine
    instance: str = field(default_factory=new_id)
    history: list[dict[str, str]] = field(default_factory=list)
    runs: list[RunRecord] = field(default_factory=list)
    refused: str | None = None

    def state(self) -> str:
        return self.history[-1]["to"] if self.history else self.machine.initial_state

    def to_dict(self) -> dict[str, Any]:
        return {
            "instance": self.instance,
            "machine": self.machine.name,
            "state": self.state(),
            "history": self.history,
            "available_events": list(self.machine.available_events(self.state())),
            "refused": self.refused,
            "runs": [run.to_dict() for run in self.runs],
        }


def run_state_machines(
    workflow: Workflow, events: list[str], data: Any, env: dict[str, str], args: argparse.Namespace
) -> int:
    say = not (args.json or args.quiet)
    walks = [_walk(workflow, m, events, data, env, say) for m in workflow.state_machines]
    if args.json:
        reports = [walk.to_dict() for walk in walks]
        print(json.dumps(reports[0] if len(reports) == 1 else reports, indent=2, default=str))
    elif args.quiet:
        for walk in walks:
            print(f"instance {walk.instance} of {walk.machine.name} is in {walk.state()}")
    failed = any(w.refused or not all(r.succeeded for r in w.runs) for w in walks)
    return 1 if failed else 0


def _walk(
    workflow: Workflow,
    machine: StateMachine,
    events: list[str],
    data: Any,
    env: dict[str, str],
    say: bool,
) -> _Walk:
    walk = _Walk(machine)
    if say:
        print(f"instance {walk.instance} of {machine.name}: {walk.state()}")
    if not _enter(workflow, walk, data, env, say):
        return walk
    for event in events:
        try:
            after = fire(machine, walk.state(), event)
        except EventRefused as exc:
            walk.refused = str(exc)
            print(f"refused: {exc}", file=sys.stderr)
            return walk
        if say:
            print(f"  {event}: {walk.state()} → {after}")
        walk.history.append({"event": event, "from": walk.state(), "to": after})
        if not _enter(workflow, walk, data, env, say):
            return walk
    if say:
        available = ", ".join(machine.available_events(walk.state())) or "none (a final state)"
        print(f"instance {walk.instance} is in {walk.state()}; available events: {available}")
    return walk


def _enter(workflow: Workflow, walk: _Walk, data: Any, env: dict[str, str], say: bool) -> bool:
    """Run the state's `on_enter` pipeline, if any; False if it failed."""
    name = walk.machine.on_enter.get(walk.state())
    if name is None:
        return True
    from xene.cli.display import Display, PlainDisplay
    from xene.engine.engine import Engine
    from xene.engine.options import EngineOptions

    display = PlainDisplay() if say else Display()
    engine = Engine(EngineOptions(listeners=(display,), env=env))
    execution = engine.prepare(workflow.pipeline(name), data, workflow=workflow.name)
    display.begin(execution.run)
    run = asyncio.run(execution.execute())
    display.end(run)
    walk.runs.append(run)
    return run.succeeded
