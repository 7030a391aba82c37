"""The sweep: the containers and workspaces of a scope's runs that no longer run are
removed; those of runs that still run, and every other scope's, are left alone."""

from __future__ import annotations

from collections.abc import Collection, Iterator
from typing import Any

import pytest

from tests.docker import containers
from tests.docker.containers import command
from xene.executors.container import RunContainersOnDocker
from xene.executors.sweep import sweep


@pytest.fixture
def scope(docker_client: Any) -> Iterator[str]:
    yield from containers.scope(docker_client)


@pytest.fixture
def other_scope(docker_client: Any) -> Iterator[str]:
    yield from containers.scope(docker_client)


async def left(busybox: str, scope: str) -> str:
    """A run's container and workspace, left by its owner; its id."""
    made = RunContainersOnDocker(containers.spec(busybox, scope))
    assert (await made.executor(None).run(command("true"))).exit_code == 0
    await made.close(ended=False)
    return made.run.run_id


async def test_the_sweep_removes_what_runs_that_no_longer_run_left(
    busybox: str, scope: str, other_scope: str, docker_client: Any
) -> None:
    ended, running = sorted([await left(busybox, scope), await left(busybox, scope)])
    elsewhere = await left(busybox, other_scope)
    asked: list[list[str]] = []

    async def live(run_ids: list[str]) -> Collection[str]:
        asked.append(run_ids)
        return {running}

    assert await sweep(scope, live) == [ended]
    assert asked == [[ended, running]]
    assert containers.leftovers(docker_client, scope) == ([f"xene-{running}"], [f"xene-{running}"])
    name = f"xene-{elsewhere}"
    assert containers.leftovers(docker_client, other_scope) == ([name], [name])


async def test_a_workspace_left_without_its_container_is_swept_too(
    busybox: str, scope: str, docker_client: Any
) -> None:
    run_id = await left(busybox, scope)
    docker_client.containers.get(f"xene-{run_id}").remove(force=True)

    async def live(run_ids: list[str]) -> Collection[str]:
        return ()

    assert await sweep(scope, live) == [run_id]
    assert containers.leftovers(docker_client, scope) == ([], [])


async def test_a_sweep_of_an_empty_scope_asks_nothing(scope: str, docker_client: Any) -> None:
    async def live(run_ids: list[str]) -> Collection[str]:
        raise AssertionError("asked about no runs")

    assert await sweep(scope, live) == []
