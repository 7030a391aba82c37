"""The Docker engine, as the container executor reaches it (a minimal stand-in, by
helper D, for helper B's module: only what agents need to offer `docker`)."""

from __future__ import annotations

import asyncio
import os
import socket


def _where() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


async def reachable() -> str | None:
    """None when a Docker engine answers; else why not."""
    try:
        import docker
    except ImportError:
        return "the container executor needs docker: pip install 'xene[docker]'"

    def ping() -> None:
        where = _where()
        if where.startswith("unix://"):  # the SDK leaves a failed connection's socket open
            with socket.socket(socket.AF_UNIX) as probe:
                probe.connect(where.removeprefix("unix://"))
        client = docker.from_env(timeout=5)
        try:
            client.ping()
        finally:
            client.close()

    try:
        await asyncio.to_thread(ping)
    except Exception:
        host = os.environ.get("DOCKER_HOST") or "unset"
        where = _where()
        return (
            f"cannot reach the Docker engine at {where}: is dockerd running? (DOCKER_HOST={host})"
        )
    return None
