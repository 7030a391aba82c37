"""What a step sees of its container's options and what reads its output: volumes, the
user's home as a working directory, and back-pressure from the run's journal."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docker import containers
from tests.docker.containers import command
from xene.errors import NodeFailed
from xene.executors import container_stream
from xene.executors.base import Command, Control
from xene.executors.container import RunContainersOnDocker


@pytest.fixture
def scope(docker_client: Any) -> Iterator[str]:
    yield from containers.scope(docker_client)


@pytest.fixture
async def run_containers(busybox: str, scope: str) -> AsyncIterator[RunContainersOnDocker]:
    made = RunContainersOnDocker(containers.spec(busybox, scope))
    yield made
    await made.close(ended=True)


async def test_volumes_are_mounted_as_written(busybox: str, scope: str, tmp_path: Path) -> None:
    (tmp_path / "given.txt").write_text("from the host\n")
    made = RunContainersOnDocker(containers.spec(busybox, scope, volumes=(f"{tmp_path}:/data:ro",)))
    try:
        lines: list[str] = []
        step = command("cat /data/given.txt; touch /data/new || echo read-only", lines)
        result = await made.executor(None).run(step)
        assert result.exit_code == 0
        assert lines[0] == "from the host"
        assert lines[-1] == "read-only"
        assert not (tmp_path / "new").exists()
    finally:
        await made.close(ended=True)


async def test_a_working_dir_under_home_is_the_users_home(
    run_containers: RunContainersOnDocker,
) -> None:
    lines: list[str] = []
    result = await run_containers.executor(None).run(command("pwd", lines, cwd="~/made"))
    assert (result.exit_code, lines) == (0, ["/root/made"])


class HeldPace:
    """The journal is full until `room` is set."""

    def __init__(self) -> None:
        self.room = asyncio.Event()
        self.waiting = 0

    @property
    def full(self) -> bool:
        return not self.room.is_set()

    async def wait_room(self) -> None:
        self.waiting += 1
        await self.room.wait()


async def test_output_waits_while_the_journal_is_full(
    run_containers: RunContainersOnDocker,
) -> None:
    pace = HeldPace()
    lines: list[str] = []
    step = Command("seq 1 200000", None, {}, lines.append, None, Control(1.0, pace))
    running = asyncio.ensure_future(run_containers.executor(None).run(step))
    # Each batch handed on waits for room: after IN_FLIGHT of them the reader stops.
    limit = container_stream.IN_FLIGHT
    await containers.until(lambda: pace.waiting == limit, "the reader to stop")
    assert not running.done()
    assert 0 < len(lines) < 200000
    pace.room.set()
    result = await running
    assert result.exit_code == 0
    assert lines == [str(n) for n in range(1, 200001)]


@pytest.mark.parametrize(
    ("option", "said"),
    [
        (
            {"user": "ghost"},
            "cannot start container xene-{run} of image {image!r}: unable to find user ghost",
        ),
        (
            {"network": "xene-no-such-network"},
            "cannot start container xene-{run} of image {image!r}: "
            "network xene-no-such-network not found",
        ),
    ],
)
async def test_an_option_the_engine_refuses_fails_the_step_saying_why(
    busybox: str, scope: str, option: dict[str, str], said: str
) -> None:
    made = RunContainersOnDocker(containers.spec(busybox, scope, **option))
    try:
        with pytest.raises(NodeFailed) as failed:
            await made.executor(None).run(command("echo never"))
        expected = said.format(run=made.run.run_id, image=busybox)
        assert str(failed.value).startswith(expected)
    finally:
        await made.close(ended=True)


async def test_an_image_that_runs_as_a_user_gets_a_workspace_of_its_own(
    busybox: str, scope: str, docker_client: Any
) -> None:
    name = f"xene-test-busybox-nobody-{uuid.uuid4().hex[:8]}"
    made = docker_client.containers.create(busybox, "true")
    made.commit(repository=name, tag="latest", changes=["USER nobody"])
    made.remove()
    containers_of_run = RunContainersOnDocker(containers.spec(f"{name}:latest", scope))
    try:
        lines: list[str] = []
        step = command('id -u; touch mine && echo k=v >> "$XENE_OUTPUT"', lines)
        result = await containers_of_run.executor(None).run(step)
        assert (result.exit_code, lines, result.outputs) == (0, ["65534"], {"k": "v"})
    finally:
        await containers_of_run.close(ended=True)
        docker_client.images.remove(f"{name}:latest")
