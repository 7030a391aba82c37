"""A run left by its process (kept, not removed) is attached again by whoever resumes it:
its container started if it stopped, what the dead owner left running in it ended, its
workspace as it was. A run whose container is gone starts again from nothing."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.docker import containers
from tests.docker.containers import command
from xene.executors.container import RunContainersOnDocker


@pytest.fixture
def scope(docker_client: Any) -> Iterator[str]:
    yield from containers.scope(docker_client)


async def said(made: RunContainersOnDocker, cmd: str, image: str | None = None) -> list[str]:
    lines: list[str] = []
    result = await made.executor(image).run(command(cmd, lines))
    assert result.exit_code == 0, lines
    return lines


async def left_running(busybox: str, scope: str) -> tuple[RunContainersOnDocker, str]:
    """A run whose owner made its container, wrote to its workspace and left it."""
    first = RunContainersOnDocker(containers.spec(busybox, scope))
    (host,) = await said(first, "echo kept > file; hostname")
    await first.close(ended=False)
    return first, host


async def test_a_left_run_is_attached_with_its_workspace_and_what_ran_in_it_ended(
    busybox: str, scope: str, docker_client: Any
) -> None:
    first, host = await left_running(busybox, scope)
    (found,) = docker_client.containers.list(filters=containers.labelled(scope))
    # A step of the dead owner, still running, started as steps are (its own session).
    found.exec_run(["sh", "-c", "trap '' TERM; sleep 1003"], detach=True)
    found.exec_run(["sleep", "1004"], detach=True)
    await containers.until(lambda: len(sleeps(found)) == 2, "the owner's steps run")
    again = RunContainersOnDocker(first.run)
    assert await again.attach()
    assert sleeps(found) == []
    assert await said(again, "cat file; hostname") == ["kept", host]
    await again.close(ended=True)
    assert containers.leftovers(docker_client, scope) == ([], [])


def sleeps(container: Any) -> list[str]:
    """The `sleep 100x` processes in it."""
    processes = container.top(ps_args="-o pid,stat,args")["Processes"] or []
    return [" ".join(p) for p in processes if "sleep 100" in p[-1] and not p[1].startswith("Z")]


async def test_a_stopped_container_is_started_again(
    busybox: str, scope: str, docker_client: Any
) -> None:
    first, _ = await left_running(busybox, scope)
    (found,) = docker_client.containers.list(filters=containers.labelled(scope))
    found.stop(timeout=0)
    again = RunContainersOnDocker(first.run)
    assert await again.attach()
    assert await said(again, "cat file") == ["kept"]
    await again.close(ended=True)


async def test_a_run_whose_container_is_gone_starts_again_from_nothing(
    busybox: str, scope: str, docker_client: Any
) -> None:
    first, _ = await left_running(busybox, scope)
    (found,) = docker_client.containers.list(filters=containers.labelled(scope))
    found.remove(force=True)  # the volume stays: it is removed, as the container's files
    again = RunContainersOnDocker(first.run)
    assert not await again.attach()
    assert containers.leftovers(docker_client, scope) == ([], [])
    assert await said(again, "ls") == []
    await again.close(ended=True)


async def test_a_run_that_never_made_a_container_has_nothing_to_attach(
    busybox: str, scope: str
) -> None:
    assert not await RunContainersOnDocker(containers.spec(busybox, scope)).attach()


async def test_a_tasks_own_image_container_is_attached_too(
    busybox: str, scope: str, docker_client: Any
) -> None:
    first = RunContainersOnDocker(containers.spec(busybox, scope))
    await said(first, "true")
    other = f"xene-test-busybox-{uuid.uuid4().hex[:8]}:latest"
    docker_client.images.get(busybox).tag(other)
    try:
        (host,) = await said(first, "hostname", other)
        await first.close(ended=False)
        again = RunContainersOnDocker(first.run)
        assert await again.attach()
        assert await said(again, "hostname", other) == [host]
        names = sorted(containers.leftovers(docker_client, scope)[0])
        assert names == [f"xene-{first.run.run_id}", f"xene-{first.run.run_id}-1"]
        await again.close(ended=True)
        assert containers.leftovers(docker_client, scope) == ([], [])
    finally:
        docker_client.images.remove(other)


async def test_a_run_ends_without_an_error_when_its_engine_is_gone(
    busybox: str, scope: str, docker_client: Any, monkeypatch: pytest.MonkeyPatch, caplog: Any
) -> None:
    made = RunContainersOnDocker(containers.spec(busybox, scope))
    await said(made, "true")
    with monkeypatch.context() as patched:
        patched.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        await made.close(ended=True)
    assert "could not remove the containers of run" in caplog.text
    assert "a sweep will" in caplog.text
    assert containers.leftovers(docker_client, scope)[0] == [f"xene-{made.run.run_id}"]


async def test_a_container_that_cannot_start_again_is_replaced_by_a_new_one(
    busybox: str, scope: str, docker_client: Any
) -> None:
    first, _ = await left_running(busybox, scope)
    (found,) = docker_client.containers.list(filters=containers.labelled(scope))
    found.pause()  # the engine refuses to start a paused container
    again = RunContainersOnDocker(first.run)
    assert not await again.attach()
    assert containers.leftovers(docker_client, scope) == ([], [])
    assert await said(again, "ls file || echo none") == [
        "ls: file: No such file or directory",
        "none",
    ]
    await again.close(ended=True)
