"""The Docker engine the container executor talks to, through the Docker SDK for Python.

The SDK blocks, so its calls are made on threads of Xene's own: a few for short calls
(`call`), and more for reading running steps' output (`streams`), one per step while it
runs. asyncio's default pool is not used: it has as few as 6 threads on a small machine,
and steps reading output for minutes would starve everyone else's calls. One client is
kept per engine address (`DOCKER_HOST`), made on first use.
"""

from __future__ import annotations

import asyncio
import functools
import os
import socket
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar, cast

from xene import extras
from xene.errors import XeneError

if TYPE_CHECKING:
    import docker

DEFAULT_HOST = "unix:///var/run/docker.sock"
CALLS = 16
"""Threads for short calls to the engine (create, exec, inspect, remove)."""
STREAMS = 512
"""Threads reading running steps' output, at most (as many steps as run at once)."""
CONNECTIONS = 256
"""Connections kept open to the engine: each running step holds one while it streams."""
TIMEOUT_S = 120.0
"""For one call; a step's output stream has no timeout (a step may be silent for long)."""

T = TypeVar("T")


class EngineUnreachable(XeneError):
    """The Docker engine cannot be reached."""


def address() -> str:
    """Where the engine is looked for: `DOCKER_HOST`, else the local socket."""
    return os.environ.get("DOCKER_HOST") or DEFAULT_HOST


def unreachable() -> EngineUnreachable:
    host = os.environ.get("DOCKER_HOST") or "unset"
    return EngineUnreachable(
        f"cannot reach the Docker engine at {address()}: is dockerd running? (DOCKER_HOST={host})"
    )


def lost() -> EngineUnreachable:
    """The engine went away: its client is dropped, made again when next needed."""
    with _making:
        _CLIENTS.pop(address(), None)
    return unreachable()


async def client() -> docker.DockerClient:
    """The client of the engine at `address()`; EngineUnreachable when none answers,
    MissingExtra when the SDK is not installed."""
    where = address()
    found = _CLIENTS.get(where)
    if found is None:
        found = await _on(_calls(), _connect, where)
    return found


async def api() -> docker.APIClient:
    """The low-level client (plain dicts, no inspect per listed container)."""
    return (await client()).api


async def call(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)` on a thread for engine calls; EngineUnreachable when the
    connection to the engine fails."""
    return await _on(_calls(), probed, fn, *args, **kwargs)


async def reachable() -> str | None:
    """None when the engine answers; else why not (for an agent's `docker` label). A
    local socket nobody listens at is found before the SDK is imported: an agent without
    an engine keeps the SDK's ten megabytes out of its memory."""
    try:
        await _on(_calls(), _probe, address())
        found = await client()
        await call(found.ping)
    except (EngineUnreachable, extras.MissingExtra) as error:
        return str(error)
    return None


def streams() -> ThreadPoolExecutor:
    """The threads that read running steps' output."""
    with _making:
        if not _STREAMS:
            _STREAMS.append(ThreadPoolExecutor(STREAMS, thread_name_prefix="xene-docker-out"))
    return _STREAMS[0]


def is_connection_error(error: BaseException) -> bool:
    """Did the engine not answer (as opposed to answering with an error)?"""
    import requests

    return isinstance(error, requests.exceptions.ConnectionError)


async def _on(pool: ThreadPoolExecutor, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    loop = asyncio.get_running_loop()
    try:
        return await loop.run_in_executor(pool, functools.partial(fn, *args, **kwargs))
    except EngineUnreachable:
        raise  # said already (and asking `requests` would import the SDK)
    except Exception as error:
        if is_connection_error(error):
            raise lost() from error
        raise


def _connect(where: str) -> docker.DockerClient:
    sdk = extras.require("docker", "the container executor")
    with _making:
        found = _CLIENTS.get(where)
        if found is not None:
            return found
        _probe(where)
        try:
            # From DOCKER_HOST (and DOCKER_TLS_VERIFY, DOCKER_CERT_PATH). Without a
            # version the SDK asks the engine for its own: a call that fails here, at
            # once, when nothing answers.
            found = cast(
                "docker.DockerClient", sdk.from_env(timeout=TIMEOUT_S, max_pool_size=CONNECTIONS)
            )
        except sdk.errors.DockerException as error:
            raise unreachable() from error
        _CLIENTS[where] = found
        return found


def probed(fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
    """`fn(*args, **kwargs)`, on a thread, once a probe found the engine's socket
    answering (EngineUnreachable if not)."""
    _probe(address())
    return fn(*args, **kwargs)


def _probe(where: str) -> None:
    """Does anyone listen at a local socket? Asked before every call (some 30 µs): the
    SDK leaves the socket of each failed connection open, to be found by the garbage
    collector."""
    if not where.startswith("unix://"):
        return
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
        probe.settimeout(TIMEOUT_S)
        try:
            probe.connect(where.removeprefix("unix://"))
        except OSError as error:
            raise lost() from error


def _calls() -> ThreadPoolExecutor:
    with _making:
        if not _CALLS:
            _CALLS.append(ThreadPoolExecutor(CALLS, thread_name_prefix="xene-docker"))
    return _CALLS[0]


_making = threading.RLock()  # `lost` may be told while a client is being made
_CLIENTS: dict[str, docker.DockerClient] = {}
_CALLS: list[ThreadPoolExecutor] = []
_STREAMS: list[ThreadPoolExecutor] = []
