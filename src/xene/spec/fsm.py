"""The OpenState state-machine format (DESIGN.md 2.3) -> a `Workflow` with one machine.

```
name: traffic-light                 # or, as in OpenState, metadata: {name, attributes}
attributes: {author: me}
state_machine:
  initial_state: green
  events: [{name: turn_yellow, destination: yellow, sources: [green]}, ...]
on_enter: {red: stop-traffic}       # optional: state -> pipeline to run on entry
pipelines: {stop-traffic: {...}}    # optional: the manifest's pipeline syntax
```
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping
from typing import Any

from xene.ir import FsmEvent, Pipeline, StateMachine, Workflow
from xene.spec import manifest
from xene.spec.source import join
from xene.spec.validate import Reader

_TOP_KEYS = (
    "name", "description", "attributes", "metadata", "state_machine", "on_enter", "pipelines",
    "triggers",
)  # fmt: skip
_MACHINE_KEYS = ("initial_state", "events")
_EVENT_KEYS = ("name", "destination", "sources")


def load(reader: Reader) -> Workflow:
    """Compile the machine in `reader.doc` (a mapping with `state_machine`)."""
    root: dict[str, Any] = reader.doc.data
    reader.keys(root, "", _TOP_KEYS, "a state machine definition")
    meta, where = _metadata(reader, root)
    name = reader.text(meta, "name", where, required=True) or "state-machine"
    body = reader.mapping(root, "state_machine", "", required=True)
    reader.keys(body, "state_machine", _MACHINE_KEYS, "state_machine")
    initial = reader.text(body, "initial_state", "state_machine", required=True)
    events = _events(reader, body)
    triggers = manifest.parse_triggers(reader, root, "")
    pipelines = manifest.parse_pipelines(reader, root, "", triggers) if "pipelines" in root else []
    machine = StateMachine(
        name=name,
        initial_state=initial,
        events=tuple(events),
        attributes=reader.mapping(meta, "attributes", where),
        loc=reader.loc("state_machine"),
    )
    on_enter = _on_enter(reader, root, machine.states, pipelines)
    used = dict.fromkeys(trigger for p in pipelines for trigger in p.triggers)
    return Workflow(
        name=name,
        pipelines=tuple(pipelines),
        triggers=tuple(triggers[t] for t in used),
        state_machines=(dataclasses.replace(machine, on_enter=on_enter),),
        description=reader.text(root, "description", ""),
        format="fsm",
        source=reader.doc.file,
    )


def _metadata(reader: Reader, root: Mapping[str, Any]) -> tuple[Mapping[str, Any], str]:
    """Where `name` and `attributes` sit: at the top, or under `metadata` (as OpenState)."""
    if "metadata" not in root:
        return root, ""
    for key in ("name", "attributes"):
        if key in root:
            reader.error(key, f"{key} is given twice, at the top and under metadata; keep one")
    meta = reader.mapping(root, "metadata", "")
    reader.keys(meta, "metadata", ("name", "attributes"), "metadata")
    return meta, "metadata"


def _events(reader: Reader, body: Mapping[str, Any]) -> list[FsmEvent]:
    where = "state_machine.events"
    events: list[FsmEvent] = []
    for index, item in enumerate(reader.sequence(body, "events", "state_machine", required=True)):
        path = f"{where}[{index}]"
        if not isinstance(item, dict):
            reader.error(path, "an event is a mapping {name, destination, sources: [...]}")
            continue
        reader.keys(item, path, _EVENT_KEYS, "an event")
        name = reader.text(item, "name", path, required=True)
        destination = reader.text(item, "destination", path, required=True)
        sources = reader.strings(item, "sources", path)
        if not sources and isinstance(item.get("sources", []), list):
            reader.error(
                join(path, "sources"),
                f'event "{name}" needs at least one source '
                "state it may fire from, as in sources: [green]",
            )
        if any(event.name == name for event in events):
            reader.error(
                join(path, "name"),
                f'duplicate event name "{name}"; each event '
                "name may appear once (list every source state in its sources)",
            )
        elif name:
            events.append(FsmEvent(name, destination, tuple(sources)))
    return events


def _on_enter(
    reader: Reader, root: Mapping[str, Any], states: Collection[str], pipelines: list[Pipeline]
) -> dict[str, str]:
    found: dict[str, str] = {}
    names = [pipeline.name for pipeline in pipelines]
    for state, pipeline in reader.mapping(root, "on_enter", "").items():
        path = join("on_enter", state)
        if state not in states:
            reader.error(path, f'unknown state "{state}"; states: {", ".join(states)}')
        if isinstance(pipeline, bool):
            reader.error(path, reader.wrong_kind(path, pipeline, "a pipeline name"))
            continue
        if not isinstance(pipeline, str) or pipeline not in names:
            known = ", ".join(names) or "none (add a pipelines: block to this file)"
            reader.error(
                path,
                f'unknown pipeline "{pipeline}" for state "{state}"; '
                f"pipelines in this file: {known}",
            )
            continue
        found[state] = pipeline
    return found
