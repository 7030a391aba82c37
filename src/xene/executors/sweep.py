"""Removing the containers and workspaces of runs that no longer run.

A run's containers are removed when it ends; a process killed meanwhile leaves them
behind. Whoever shares the runs' scope (`xene.executors.scopes`) finds them by label and
asks which of their runs still run (a store, or an agent knowing what it holds): the
others' containers and volumes are removed. Containers of another scope are never
touched, so many stores and agents share one engine safely.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from xene.executors import docker_engine
from xene.executors.container import remove_container, remove_volume
from xene.executors.container_setup import RUN, SCOPE

log = logging.getLogger("xene.executors.sweep")

Live = Callable[[list[str]], Awaitable[Collection[str]]]
"""Of these run ids, those that still run (and so keep their containers)."""


async def sweep(scope: str, live: Live) -> list[str]:
    """Remove the containers and volumes of `scope` whose run `live` does not name;
    the run ids swept, sorted. EngineUnreachable without an engine."""
    api = await docker_engine.api()
    filters = {"label": f"{SCOPE}={scope}"}
    containers, volumes = await asyncio.gather(
        docker_engine.call(api.containers, all=True, filters=filters),
        docker_engine.call(api.volumes, filters=filters),
    )
    volumes = (volumes or {}).get("Volumes") or []
    found = {_run(item.get("Labels")) for item in [*containers, *volumes]} - {""}
    if not found:
        return []
    alive = set(await live(sorted(found)))
    gone = found - alive
    swept: set[str] = set()
    for item in containers:
        if _run(item.get("Labels")) in gone and await _removed(remove_container, api, item["Id"]):
            swept.add(_run(item.get("Labels")))
    for item in volumes:  # after the containers: a volume in use cannot be removed
        if _run(item.get("Labels")) in gone and await _removed(remove_volume, api, item["Name"]):
            swept.add(_run(item.get("Labels")))
    return sorted(swept)


def _run(labels: dict[str, str] | None) -> str:
    return (labels or {}).get(RUN, "")


async def _removed(remove: Callable[[Any, str], Awaitable[None]], api: Any, what: str) -> bool:
    try:
        await remove(api, what)
    except docker_engine.EngineUnreachable:
        raise
    except Exception as error:  # the next sweep tries again
        log.warning("sweep: could not remove %s: %s", what, error)
        return False
    return True
