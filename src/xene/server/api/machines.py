"""State machines: definitions, instances, and the events that move them."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request

from xene.engine.clock import new_id
from xene.server.api import deps, models
from xene.server.api.deps import MANAGER, VIEWER, RuntimeDep
from xene.server.api.errors import ApiError
from xene.server.runtime import Conflict, NotFound, Runtime
from xene.service import machines
from xene.spec import machines as fsm_defs
from xene.spec.load import load_text
from xene.store.base import MachineInstance

log = logging.getLogger("xene.server.api")
router = APIRouter(prefix="/api/v1", tags=["state machines"], responses=deps.ERRORS)
Event = Annotated[str, Path(max_length=200)]


@router.post(
    "/machines",
    response_model=models.DefinedOut,
    status_code=201,
    dependencies=[MANAGER],
    responses={400: {"model": models.ProblemsOut, "description": "invalid definition"}},
    openapi_extra=deps.text_body("an OpenState definition (state_machine: ...)"),
)
async def define(
    request: Request,
    runtime: RuntimeDep,
    filename: Annotated[str | None, Query(max_length=255)] = None,
) -> models.DefinedOut:
    """Store the state machines the definition holds; each name is defined once (409)."""
    text, name = await deps.definition_text(request, filename)
    workflow = load_text(text, name)
    try:
        await machines.define(runtime.store, workflow, name, text, runtime.clock.now())
    except machines.Refused as exc:
        raise (Conflict(str(exc)) if workflow.state_machines else ApiError(400, str(exc))) from exc
    return models.DefinedOut(machines=[m.name for m in workflow.state_machines])


@router.get("/machines", response_model=models.MachineListOut, dependencies=[VIEWER])
async def list_machines(runtime: RuntimeDep) -> models.MachineListOut:
    machines = []
    for name in await runtime.store.list_machines():
        data = await runtime.store.get_machine(name)
        if data is not None:
            machines.append(machine_out(data))
    return models.MachineListOut(machines=machines)


@router.get("/machines/{name}", response_model=models.MachineOut, dependencies=[VIEWER])
async def get_machine(name: str, runtime: RuntimeDep) -> models.MachineOut:
    return machine_out(await _machine(runtime, name))


@router.post(
    "/machines/{name}/instances",
    response_model=models.CreatedInstanceOut,
    status_code=201,
    dependencies=[MANAGER],
)
async def create_instance(name: str, runtime: RuntimeDep) -> models.CreatedInstanceOut:
    """A new instance in the machine's initial state (running its on_enter pipeline)."""
    await _machine(runtime, name)
    entered = await machines.start(runtime.store, name, runtime.clock.now(), new_id)
    run_id = await queue_on_enter(runtime, entered)
    instance = entered.instance
    return models.CreatedInstanceOut(id=instance.id, state=instance.state, run_id=run_id)


@router.get(
    "/machines/{name}/instances", response_model=models.InstanceListOut, dependencies=[VIEWER]
)
async def list_instances(name: str, runtime: RuntimeDep) -> models.InstanceListOut:
    data = await _machine(runtime, name)
    found = [i for i in await runtime.store.list_instances(name) if i.machine == name]
    return models.InstanceListOut(instances=[instance_out(i, data) for i in found])


@router.get("/instances/{instance_id}", response_model=models.InstanceOut, dependencies=[VIEWER])
async def get_instance(instance_id: str, runtime: RuntimeDep) -> models.InstanceOut:
    """Its state, the events it accepts now, and every move so far."""
    instance = await _instance(runtime, instance_id)
    return instance_out(instance, await _machine(runtime, instance.machine))


@router.post(
    "/instances/{instance_id}/events/{event}",
    response_model=models.MovedOut,
    dependencies=[MANAGER],
    responses={409: {"model": models.RefusedOut, "description": "not allowed now"}},
)
async def send_event(instance_id: str, event: Event, runtime: RuntimeDep) -> models.MovedOut:
    """Move the instance if the event is allowed in its state; otherwise 409 with the
    events allowed now, and nothing changes."""
    instance = await _instance(runtime, instance_id)
    await _machine(runtime, instance.machine)
    try:
        entered = await machines.send(runtime.store, instance, event, runtime.clock.now())
    except machines.Refused as exc:
        raise ApiError(409, str(exc), available=list(exc.available)) from exc
    run_id = await queue_on_enter(runtime, entered)
    to = {"from": instance.state, "to": entered.state, "run_id": run_id}
    return models.MovedOut.model_validate(to)


async def queue_on_enter(runtime: Runtime, entered: machines.Entered) -> str | None:
    """Queue the run the entered state asks for, for the agent (through the runtime, as
    any trigger's run): its id, or None when the state asks for none."""
    if entered.problem is not None:
        log.error("%s; the instance moved, no run was queued", entered.problem)
        return None
    if entered.on_enter is None:
        return None
    on_enter = entered.on_enter
    run_id, _ = await runtime.queue(on_enter.source, on_enter.input)
    return run_id


def machine_out(data: dict[str, Any]) -> models.MachineOut:
    machine = fsm_defs.machine(data)
    return models.MachineOut(
        name=machine.name,
        initial_state=machine.initial_state,
        states=list(machine.states),
        events=[
            models.MachineEventOut(name=e.name, destination=e.destination, sources=list(e.sources))
            for e in machine.events
        ],
        attributes=dict(machine.attributes),
        on_enter=dict(machine.on_enter),
        workflow=str(data.get("workflow", "")),
    )


def instance_out(instance: MachineInstance, data: dict[str, Any]) -> models.InstanceOut:
    history = [
        models.TransitionOut.model_validate({"event": e, "from": a, "to": b, "at": at})
        for e, a, b, at in instance.history
    ]
    return models.InstanceOut(
        id=instance.id,
        machine=instance.machine,
        state=instance.state,
        available_events=list(fsm_defs.machine(data).available_events(instance.state)),
        created_at=instance.created_at,
        updated_at=instance.updated_at,
        history=history,
    )


async def _machine(runtime: Runtime, name: str) -> dict[str, Any]:
    data = await runtime.store.get_machine(name)
    if data is None:
        raise NotFound(f"no state machine {name!r}; POST its definition to /api/v1/machines")
    return data


async def _instance(runtime: Runtime, instance_id: str) -> MachineInstance:
    """By its id, or the only id starting with it, in any case."""
    instance = await runtime.store.get_instance(instance_id)
    if instance is None:
        found = await runtime.store.find_ids("instance", instance_id, limit=2)
        instance = await runtime.store.get_instance(found[0]) if len(found) == 1 else None
    if instance is None:
        raise NotFound(f"no state-machine instance {instance_id!r}")
    return instance
