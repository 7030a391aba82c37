"""State machines as the store keeps them: a JSON-able definition, and back to the IR."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xene.ir import FsmEvent, StateMachine, Workflow


def definition(machine: StateMachine, workflow: Workflow) -> dict[str, Any]:
    """What `store.define_machine` keeps; `workflow` and `source` say where the machine's
    `on_enter` pipelines are defined."""
    data = {
        "name": machine.name,
        "initial_state": machine.initial_state,
        "events": [
            {"name": e.name, "destination": e.destination, "sources": list(e.sources)}
            for e in machine.events
        ],
        "attributes": dict(machine.attributes),
        "on_enter": dict(machine.on_enter),
        "workflow": workflow.name,
        "source": workflow.source,
        "source_text": _text(workflow.source),
    }
    result: dict[str, Any] = json.loads(json.dumps(data, default=str))
    return result


def _text(path: str) -> str:
    """The definition file's text, kept so that `on_enter` pipelines run as defined."""
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def machine(data: dict[str, Any]) -> StateMachine:
    """The definition rebuilt as the IR that `xene.core.fsm.fire` takes."""
    return StateMachine(
        name=data["name"],
        initial_state=data["initial_state"],
        events=tuple(
            FsmEvent(e["name"], e["destination"], tuple(e["sources"])) for e in data["events"]
        ),
        attributes=data.get("attributes") or {},
        on_enter=data.get("on_enter") or {},
    )
