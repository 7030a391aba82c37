"""A run's image: pulled as `pull` says; one that is missing and cannot be pulled fails
the step with the pull error and the image's name, and no container is made."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Recorder
from tests.docker import containers
from tests.docker.containers import command, engine, pipeline, task
from xene.errors import NodeFailed
from xene.executors.container import RunContainersOnDocker

NOWHERE = "xene-nowhere.invalid/none:latest"
"""An image of a registry that cannot exist (`.invalid`): every pull of it fails."""


@pytest.fixture
def scope(docker_client: Any) -> Iterator[str]:
    yield from containers.scope(docker_client)


async def test_an_image_that_cannot_be_pulled_fails_the_step_and_makes_nothing(
    scope: str, docker_client: Any, busybox: str
) -> None:
    made = RunContainersOnDocker(containers.spec(NOWHERE, scope))
    lines: list[str] = []
    with pytest.raises(NodeFailed) as failed:
        await made.executor(None).run(command("echo never", lines))
    assert str(failed.value).startswith(f"cannot pull image {NOWHERE!r}: ")
    assert lines == []
    assert containers.leftovers(docker_client, scope) == ([], [])
    await made.close(ended=True)


async def test_pull_never_fails_for_a_missing_image_saying_how_to_fix_it(
    scope: str, docker_client: Any
) -> None:
    made = RunContainersOnDocker(containers.spec(NOWHERE, scope, pull="never"))
    with pytest.raises(NodeFailed) as failed:
        await made.executor(None).run(command("echo never"))
    assert str(failed.value) == (
        f"image {NOWHERE!r} is not on the Docker engine, and the pipeline's containerConfig "
        "says `pull: never`: load it onto the engine first (docker pull, docker load), or "
        "let Xene pull it"
    )
    assert containers.leftovers(docker_client, scope) == ([], [])


async def test_pull_never_uses_an_image_the_engine_has(busybox: str, scope: str) -> None:
    recorder = Recorder()
    run = await engine(scope, recorder).run(pipeline(busybox, task("t", "echo ran"), pull="never"))
    assert run.succeeded, run.error
    assert [line for _, _, line in recorder.lines] == ["ran"]


async def test_pull_always_pulls_even_an_image_the_engine_has(busybox: str, scope: str) -> None:
    """No registry serves the local test image, so a pull of it fails: it was tried."""
    run = await engine(scope).run(pipeline(busybox, task("t", "echo never"), pull="always"))
    assert (run.nodes["t"].error or "").startswith(f"cannot pull image {busybox!r}: ")


async def test_every_task_waiting_on_a_missing_image_fails_and_none_runs(
    scope: str, docker_client: Any
) -> None:
    recorder = Recorder()
    p = pipeline(NOWHERE, task("a", "echo never"), task("b", "echo never"))
    run = await engine(scope, recorder).run(p)
    assert str(run.state) == "Error"
    for key in ("a", "b"):
        assert (run.nodes[key].error or "").startswith(f"cannot pull image {NOWHERE!r}")
    assert recorder.lines == []
    assert containers.leftovers(docker_client, scope) == ([], [])
