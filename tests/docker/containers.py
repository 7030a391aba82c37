"""Helpers for the container executor's tests: pipelines on the test image, and a scope
of each test's own (`test:<uuid>`), whose containers and volumes are removed after it
whatever happened, and never anyone else's."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Recorder
from xene.engine.engine import Engine
from xene.engine.options import EngineOptions
from xene.executors.base import Command, ContainerRun, Control
from xene.ir import TASK, ContainerConfig, Edge, Executor, Node, Pipeline, Step


def scope(client: Any) -> Iterator[str]:
    """A fresh scope; what is left in it is removed afterwards."""
    made = f"test:{uuid.uuid4()}"
    yield made
    for container in client.containers.list(all=True, filters=labelled(made)):
        container.remove(force=True)
    for volume in client.volumes.list(filters=labelled(made)):
        volume.remove(force=True)


def labelled(scope: str) -> dict[str, str]:
    return {"label": f"xene.scope={scope}"}


def leftovers(client: Any, scope: str) -> tuple[list[str], list[str]]:
    """Names of the containers and volumes of `scope` on the engine."""
    containers = [c.name for c in client.containers.list(all=True, filters=labelled(scope))]
    volumes = [v.name for v in client.volumes.list(filters=labelled(scope))]
    return containers, volumes


def task(name: str, *cmds: str, **fields: Any) -> Node:
    steps = tuple(Step(f"s{i}", cmd=cmd) for i, cmd in enumerate(cmds))
    return Node(name, TASK, steps=steps, join="all", **fields)


def pipeline(
    image: str,
    *nodes: Node,
    edges: tuple[Edge, ...] = (),
    env: dict[str, str] | None = None,
    **config: Any,
) -> Pipeline:
    container = ContainerConfig(image=image, network=config.pop("network", "none"), **config)
    executor = Executor("container", container)
    return Pipeline("p", nodes, edges, executor=executor, env=env or {})


def engine(scope: str, recorder: Recorder | None = None, **options: Any) -> Engine:
    listeners = (recorder,) if recorder is not None else ()
    return Engine(EngineOptions(container_scope=scope, listeners=listeners, grace_s=1.0, **options))


def spec(image: str, scope: str, run_id: str = "", **config: Any) -> ContainerRun:
    """What a run's containers are made for, for tests of `RunContainersOnDocker` itself."""
    container = ContainerConfig(image=image, network=config.pop("network", "none"), **config)
    return ContainerRun(run_id or f"r{uuid.uuid4().hex[:12]}", "w", "p", container, scope, 1.0)


def command(
    cmd: str,
    lines: list[str] | None = None,
    *,
    cwd: str | None = None,
    timeout_s: float | None = None,
    grace_s: float = 1.0,
    on_group: Callable[[str], None] | None = None,
) -> Command:
    sink = lines if lines is not None else []
    return Command(cmd, cwd, {}, sink.append, timeout_s, Control(grace_s, None, on_group))


async def until(predicate: Any, what: str, timeout_s: float = 30.0) -> None:
    """Wait for `predicate()` to hold (a condition, never a duration)."""
    try:
        async with asyncio.timeout(timeout_s):
            while not predicate():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"never happened: {what}") from None


ENGINE = "/var/run/docker.sock"


class Proxy:
    """A unix socket forwarding every connection to the engine's, until `cut`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.listener.bind(str(path))
        self.listener.listen(64)
        self.open: list[socket.socket] = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return  # cut
            upstream = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            upstream.connect(ENGINE)
            with self.lock:
                self.open += [client, upstream]
            for source, sink in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, sink), daemon=True).start()

    def cut(self) -> None:
        """The engine is gone: no connection stays, none is taken."""
        with contextlib.suppress(OSError):
            self.listener.shutdown(socket.SHUT_RDWR)
        self.listener.close()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        with self.lock:
            for one in self.open:
                with contextlib.suppress(OSError):
                    one.shutdown(socket.SHUT_RDWR)
                one.close()


def _pump(source: socket.socket, sink: socket.socket) -> None:
    with contextlib.suppress(OSError):
        while data := source.recv(65536):
            sink.sendall(data)
    with contextlib.suppress(OSError):
        sink.shutdown(socket.SHUT_WR)


def proxy(monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    """A proxy to the engine, `DOCKER_HOST` naming it (and so a client of its own)."""
    if not os.path.exists(ENGINE):
        pytest.skip(f"!!! the engine is not at {ENGINE}: no proxy to it")
    with tempfile.TemporaryDirectory(prefix="xene-proxy-", dir="/tmp") as folder:
        made = Proxy(Path(folder) / "docker.sock")  # in /tmp: a socket's path is short
        monkeypatch.setenv("DOCKER_HOST", f"unix://{made.path}")
        yield made
        made.cut()
