"""State machines' use cases: define, start an instance, send it an event, and the run
its new state's `on_enter` pipeline asks for. One set of rules for `xene fsm` on a store
and for the server's `/api/v1/machines` and `/instances` routes; each front-end only
says how to show the outcome, and runs (CLI) or queues (server) the `on_enter` run.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from xene.core import fsm
from xene.errors import XeneError
from xene.frozen import frozen
from xene.ir import Pipeline, Workflow
from xene.spec.machines import definition, machine
from xene.store.base import MachineInstance, RunSource, Store
from xene.store.roles import MachineReader


class NoSuchMachine(XeneError):
    """No state machine has that name."""


class Refused(XeneError):
    """Nothing changed: a definition that exists already, or an event not allowed now."""

    def __init__(self, message: str, available: tuple[str, ...] = ()) -> None:
        super().__init__(message)
        self.available = available
        """Events the instance accepts now (for a refused event)."""


@frozen
class OnEnter:
    """The run a state's `on_enter` pipeline asks for: what to start, with which input."""

    pipeline: Pipeline
    source: RunSource
    input: dict[str, Any]


@frozen
class Entered:
    """An instance entered a state: created in its initial one, or moved by an event."""

    instance: MachineInstance
    """As it was before (for a new one: as created)."""
    state: str
    on_enter: OnEnter | None
    """The run the state asks for, if any."""
    problem: str | None = None
    """Why the state's `on_enter` pipeline cannot run (its definition no longer loads)."""


async def define(store: Store, workflow: Workflow, source: str, text: str, now: float) -> None:
    """Keep every state machine of `workflow` (all or nothing, as far as can be checked);
    `source` and `text` say where their `on_enter` pipelines are defined."""
    if not workflow.state_machines:
        raise Refused(f"{source} defines no state machine (no state_machine: section)")
    for each in workflow.state_machines:
        if await store.get_machine(each.name) is not None:
            raise Refused(defined_already(each.name))
    anonymous = dataclasses.replace(workflow, source="")  # the text is given
    for each in workflow.state_machines:
        data = definition(each, anonymous) | {"source": source, "source_text": text}
        if not await store.define_machine(each.name, data, now):
            raise Refused(defined_already(each.name))


async def get(store: MachineReader, name: str) -> dict[str, Any]:
    data = await store.get_machine(name)
    if data is None:
        known = ", ".join(await store.list_machines()) or "none"
        raise NoSuchMachine(f"no state machine named {name!r}; defined: {known}")
    return data


async def start(store: Store, name: str, now: float, new_id: Callable[[float], str]) -> Entered:
    """A new instance in the machine's initial state, and the run entering it asks for."""
    data = await get(store, name)
    instance = MachineInstance(new_id(now), name, data["initial_state"], now, now)
    await store.create_instance(instance)
    return _entered(data, instance, instance.state)


async def send(store: Store, instance: MachineInstance, event: str, now: float) -> Entered:
    """Move the instance if `event` is allowed in its state (a compare-and-set: another
    event first refuses this one); Refused, with the events allowed now, changes nothing."""
    data = await get(store, instance.machine)
    ir = machine(data)
    try:
        state = fsm.fire(ir, instance.state, event)
    except fsm.EventRefused as exc:
        raise Refused(str(exc), tuple(exc.available)) from exc
    if not await store.move_instance(instance.id, event, instance.state, state, now):
        moved = await store.get_instance(instance.id)
        where = moved.state if moved is not None else instance.state
        raise Refused(
            f"instance {instance.id} moved meanwhile to {where!r} (another event came "
            "first); nothing changed",
            tuple(ir.available_events(where)),
        )
    return _entered(data, instance, state)


def _entered(data: dict[str, Any], instance: MachineInstance, state: str) -> Entered:
    try:
        return Entered(instance, state, on_enter(data, instance.id, state))
    except Exception as exc:  # the definition's text no longer loads: the move stands
        pipeline = (data.get("on_enter") or {}).get(state)
        return Entered(instance, state, None, f"on_enter {pipeline} of {data['name']}: {exc}")


def on_enter(data: dict[str, Any], instance_id: str, state: str) -> OnEnter | None:
    """The run entering `state` asks for, if the machine names a pipeline for it; its
    input names the instance, the machine and the state. A definition that no longer
    loads raises (InvalidDefinition, KeyError)."""
    name: str | None = (data.get("on_enter") or {}).get(state)
    if not name:
        return None
    from xene.spec.load import load_text

    path, text = str(data.get("source", "")), str(data.get("source_text", ""))
    workflow = load_text(text, path)
    return OnEnter(
        pipeline=workflow.pipeline(name),
        source=RunSource(path, text, workflow.format, workflow.name, name),
        input={"instance": instance_id, "machine": data["name"], "state": state},
    )


def defined_already(name: str) -> str:
    return (
        f"a state machine named {name!r} is defined already; a definition never changes "
        "under its instances: give the new one another name"
    )
