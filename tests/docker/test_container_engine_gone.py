"""The connection to the Docker engine: a step whose engine goes away fails saying the
engine cannot be reached, and the run still ends (its cleanup only logs); a step's
output stream outlives the client's timeout.

The engine is reached through a proxy of the test's own (`DOCKER_HOST` names its
socket), which is cut in the middle of the step: to Xene, the engine is gone. (A second
dockerd is no way to test this here: started with `--bridge=none` it deletes the host's
`docker0`, which the shared engine's containers need.)"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Recorder
from tests.docker import containers
from tests.docker.containers import Proxy, pipeline, task
from xene.executors import docker_engine


@pytest.fixture
def scope(docker_client: Any) -> Iterator[str]:
    yield from containers.scope(docker_client)


@pytest.fixture
def proxy(docker_client: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Proxy]:
    yield from containers.proxy(monkeypatch)


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


async def test_a_step_silent_longer_than_a_calls_timeout_keeps_its_output(
    proxy: Proxy, scope: str, busybox: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step's stream has no timeout, whatever the client's calls have (this one's,
    made for the proxy's address, a second)."""
    monkeypatch.setattr(docker_engine, "TIMEOUT_S", 1.0)
    recorder = Recorder()
    p = pipeline(busybox, task("t", "echo before; sleep 2; echo after"))
    run = await containers.engine(scope, recorder).run(p)
    assert run.succeeded, run.error
    assert [line for _, _, line in recorder.lines] == ["before", "after"]
