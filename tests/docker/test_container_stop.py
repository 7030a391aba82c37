"""Ending steps in a container: a timeout or a cancel ends everything the step started
inside it (SIGTERM, the grace period, SIGKILL); an OOM kill says so."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest

from tests.docker import containers
from tests.docker.containers import command, engine, pipeline, task
from xene.errors import NodeFailed
from xene.executors.container import RunContainersOnDocker
from xene.ir import TASK, Node, Step

TREE = "echo started; sleep 1000 & sleep 1001 & trap '' TERM; sleep 1002"
"""Children in the background, and a shell that ignores SIGTERM: only SIGKILL ends it."""


@pytest.fixture
def scope(docker_client: Any) -> Iterator[str]:
    yield from containers.scope(docker_client)


@pytest.fixture
async def run_containers(busybox: str, scope: str) -> AsyncIterator[RunContainersOnDocker]:
    made = RunContainersOnDocker(containers.spec(busybox, scope, memory="32m"))
    yield made
    await made.close(ended=True)


async def sleepers(made: RunContainersOnDocker) -> list[str]:
    """The `sleep` processes running in the run's container, as `ps` shows them."""
    lines: list[str] = []
    result = await made.executor(None).run(command("ps -o pid,stat,args", lines))
    assert result.exit_code == 0, lines
    return [line for line in lines if "sleep 10" in line and " Z " not in line]


async def test_a_timeout_ends_the_steps_whole_tree(run_containers: RunContainersOnDocker) -> None:
    lines: list[str] = []
    result = await run_containers.executor(None).run(command(TREE, lines, timeout_s=1.0))
    assert (result.exit_code, result.timed_out) == (124, True)
    assert lines == ["started"]
    assert await sleepers(run_containers) == []


async def test_a_cancel_ends_the_steps_whole_tree(run_containers: RunContainersOnDocker) -> None:
    lines: list[str] = []
    running = asyncio.ensure_future(run_containers.executor(None).run(command(TREE, lines)))
    await containers.until(lambda: lines == ["started"], "the step started")
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert await sleepers(run_containers) == []


async def test_a_step_is_named_for_recovery_once_it_has_run_a_moment(
    run_containers: RunContainersOnDocker,
) -> None:
    named: list[str] = []
    lines: list[str] = []
    group = "read -r _ _ _ _ group _ < /proc/$$/stat; echo $group; sleep 0.5"
    step = command(group, lines, on_group=named.append)
    result = await run_containers.executor(None).run(step)
    assert result.exit_code == 0
    box = await run_containers.box(run_containers.run.config.image)
    (group,) = lines
    assert named == [f"container:{box.id[:12]}:{group}"]


async def test_an_oom_kill_says_so(busybox: str, scope: str) -> None:
    p = pipeline(busybox, task("eat", "dd if=/dev/zero of=/dev/null bs=100M count=1"), memory="32m")
    run = await engine(scope).run(p)
    assert (
        run.nodes["eat"].error
        == "step 's0' exited with code 137: killed: out of memory (limit 32m)"
    )
    assert run.nodes["eat"].steps[0].exit_code == 137


async def test_a_kill_that_is_not_an_oom_kill_is_only_an_exit_code(
    busybox: str, scope: str
) -> None:
    p = pipeline(busybox, task("die", "kill -KILL $$"), memory="32m")
    run = await engine(scope).run(p)
    assert run.nodes["die"].error == "step 's0' exited with code 137"


async def test_a_step_timeout_through_the_engine_says_how_long(busybox: str, scope: str) -> None:
    slow = Node("t", TASK, steps=(Step("wait", cmd="sleep 1000", timeout_s=0.5),))
    run = await engine(scope).run(pipeline(busybox, slow))
    assert run.nodes["t"].error == "step 'wait' timed out after 0.5 s"


async def test_a_step_whose_container_is_removed_under_it_says_so(
    run_containers: RunContainersOnDocker, docker_client: Any
) -> None:
    lines: list[str] = []
    running = asyncio.ensure_future(
        run_containers.executor(None).run(command("echo started; sleep 1000", lines))
    )
    await containers.until(lambda: lines == ["started"], "the step started")
    box = await run_containers.box(run_containers.run.config.image)
    docker_client.containers.get(box.id).remove(force=True)
    with pytest.raises(NodeFailed) as failed:
        await running
    assert str(failed.value) == f"container {box.name} is gone: was it removed while the run ran?"
