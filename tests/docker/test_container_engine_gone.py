"""The Docker engine going away under a run: its step fails saying the engine cannot be
reached, and the run still ends (its cleanup only logs).

The engine is reached through a proxy of the test's own (`DOCKER_HOST` names its
socket), which is cut in the middle of the step: to Xene, the engine is gone. (A second
dockerd is no way to test this here: started with `--bridge=none` it deletes the host's
`docker0`, which the shared engine's containers need.)"""

from __future__ import annotations

import contextlib
import os
import socket
import tempfile
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Recorder
from tests.docker import containers
from tests.docker.containers import pipeline, task

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


@pytest.fixture
def scope(docker_client: Any) -> Iterator[str]:
    yield from containers.scope(docker_client)


@pytest.fixture
def proxy(docker_client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    if not os.path.exists(ENGINE):
        pytest.skip(f"!!! the engine is not at {ENGINE}: no proxy to it")
    with tempfile.TemporaryDirectory(prefix="xene-proxy-", dir="/tmp") as folder:
        made = Proxy(Path(folder) / "docker.sock")  # in /tmp: a socket's path is short
        monkeypatch.setenv("DOCKER_HOST", f"unix://{made.path}")
        yield made
        made.cut()


class CutsTheEngine(Recorder):
    """Cuts the way to the engine once the step has said it started."""

    def __init__(self, proxy: Proxy) -> None:
        super().__init__()
        self.proxy = proxy

    def log(self, run: Any, node: Any, step: str | None, line: str) -> None:
        super().log(run, node, step, line)
        if line == "started":
            self.proxy.cut()


async def test_a_step_whose_engine_goes_away_fails_saying_so_and_the_run_ends(
    proxy: Proxy, scope: str, busybox: str, caplog: Any, docker_client: Any
) -> None:
    p = pipeline(busybox, task("t", "echo started; sleep 1000"))
    run = await containers.engine(scope, CutsTheEngine(proxy)).run(p, run_id=uuid.uuid4().hex)
    host = f"unix://{proxy.path}"
    assert str(run.state) == "Error"
    assert run.nodes["t"].error == (
        f"cannot reach the Docker engine at {host}: is dockerd running? (DOCKER_HOST={host})"
    )
    assert f"could not remove the containers of run {run.id} (a sweep will)" in caplog.text
    assert containers.leftovers(docker_client, scope)[0] == [f"xene-{run.id}"]
