"""The state-machine pages: `/machines` (the definitions), `/machines/{name}` (one, with
its instances) and `/machines/{name}/instances/{id}` (an instance: its state, the events
allowed now, its history). Read as the API's `/api/v1/machines` and `/instances` routes
read them (the same functions); events are sent through those routes by the page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from xene.server.api import machines as machines_api
from xene.server.api.deps import RuntimeDep
from xene.server.runtime import NotFound
from xene.server.ui.pages import Viewer
from xene.server.ui.render import error_page, page

router = APIRouter(include_in_schema=False)


@router.get("/machines", response_class=HTMLResponse)
async def machines(request: Request, who: Viewer, runtime: RuntimeDep) -> HTMLResponse:
    listed = (await machines_api.list_machines(runtime)).machines
    counts = {m.name: len(await runtime.store.list_instances(m.name)) for m in listed}
    return page(
        request, "machines.html", who, title="State machines", machines=listed, counts=counts
    )


@router.get("/machines/{name}", response_class=HTMLResponse)
async def machine(request: Request, name: str, who: Viewer, runtime: RuntimeDep) -> HTMLResponse:
    try:
        found = await machines_api.get_machine(name, runtime)
        instances = (await machines_api.list_instances(name, runtime)).instances
    except NotFound:
        return error_page(request, 404, f"No state machine {name!r} is defined.")
    instances.reverse()  # newest first
    return page(request, "machine.html", who, title=name, machine=found, instances=instances)


@router.get("/machines/{name}/instances/{instance_id}", response_class=HTMLResponse)
async def instance(
    request: Request, name: str, instance_id: str, who: Viewer, runtime: RuntimeDep
) -> HTMLResponse:
    try:
        found = await machines_api.get_machine(name, runtime)
        shown = await machines_api.get_instance(instance_id, runtime)
    except NotFound as missing:
        return error_page(request, 404, f"{missing}.")
    if shown.machine != name:
        message = f"State machine {name!r} has no instance {instance_id!r}."
        return error_page(request, 404, message)
    title = f"{name} · {shown.id}"
    return page(request, "instance.html", who, title=title, machine=found, instance=shown)
