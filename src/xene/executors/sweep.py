"""Sweep leftover containers by label (a minimal stand-in, by helper D, for helper B's)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Collection
from typing import Any


async def sweep(scope: str, live: Callable[[list[str]], Awaitable[Collection[str]]]) -> list[str]:
    """Remove the containers and volumes labelled `xene.scope=scope` whose run `live`
    does not name; the run ids removed."""
    import docker
    from xene.executors import docker_engine

    reason = await docker_engine.reachable()
    if reason is not None:
        raise ConnectionError(reason)
    client: Any = docker.from_env(timeout=30)
    try:
        selector = {"label": f"xene.scope={scope}"}
        containers = await asyncio.to_thread(client.containers.list, all=True, filters=selector)
        volumes = await asyncio.to_thread(client.volumes.list, filters=selector)
        runs = {c.labels.get("xene.run", "") for c in containers}
        runs |= {(v.attrs.get("Labels") or {}).get("xene.run", "") for v in volumes}
        runs.discard("")
        if not runs:
            return []
        alive = set(await live(sorted(runs)))
        gone = sorted(runs - alive)
        for container in containers:
            if container.labels.get("xene.run") in gone:
                await asyncio.to_thread(container.remove, force=True)
        for volume in volumes:
            if (volume.attrs.get("Labels") or {}).get("xene.run") in gone:
                await asyncio.to_thread(volume.remove, force=True)
        return gone
    finally:
        client.close()
