"""Every command a run runs goes through the Executor seam: a task's shell steps and
`std::shell` nodes alike get the executor their pipeline names, and an executor that
cannot run fails them, saying why, before anything runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from xene.engine.engine import Engine
from xene.engine.options import EngineOptions
from xene.executors import docker_engine, scopes
from xene.executors.base import Command, CommandResult
from xene.executors.local import LocalExecutor
from xene.executors.sweep import sweep
from xene.ir import TASK, ContainerConfig, Edge, Executor, Node, Pipeline, Step


class Seen:
    """A real executor (the local one) that keeps every command it is given."""

    def __init__(self) -> None:
        self.commands: list[Command] = []

    async def run(self, command: Command) -> CommandResult:
        self.commands.append(command)
        return await LocalExecutor().run(command)


def shell(node_id: str, command: str) -> Node:
    return Node(node_id, "std::shell", config={"command": command})


async def test_a_shell_nodes_command_goes_through_the_executor_its_pipeline_names() -> None:
    seen = Seen()
    engine = Engine(EngineOptions(executors={"local": seen}))
    node = shell("s", 'echo "n=$XENE_TASK" >> "$XENE_OUTPUT"; echo said')
    run = await engine.run(Pipeline("p", (node,)))
    assert run.succeeded, run.error
    assert [c.cmd for c in seen.commands] == [node.config["command"]]
    assert seen.commands[0].env["XENE_RUN_ID"] == run.id
    assert run.nodes["s"].output == {"exit_code": 0, "n": "s"}


async def test_shell_nodes_and_tasks_of_one_run_share_its_executor() -> None:
    seen = Seen()
    engine = Engine(EngineOptions(executors={"local": seen}))
    task = Node("t", TASK, steps=(Step("one", cmd="true"), Step("two", cmd="echo two")))
    pipeline = Pipeline("p", (task, shell("s", "echo three")), edges=(Edge("t", "s"),))
    run = await engine.run(pipeline)
    assert run.succeeded, run.error
    assert [c.cmd for c in seen.commands] == ["true", "echo two", "echo three"]


NOWHERE = "unix:///nonexistent/docker.sock"
UNREACHABLE = (
    f"cannot reach the Docker engine at {NOWHERE}: is dockerd running? (DOCKER_HOST={NOWHERE})"
)


def container(image: str) -> Executor:
    return Executor("container", ContainerConfig(image))


async def test_a_shell_node_of_a_container_pipeline_without_an_engine_runs_nothing_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)
    made = tmp_path / "made"
    pipeline = Pipeline("p", (shell("s", f"touch {made}"),), executor=container("alpine"))
    run = await Engine().run(pipeline)
    assert str(run.state) == "Error"
    assert run.nodes["s"].error == UNREACHABLE
    assert not made.exists()


async def test_a_task_of_a_container_pipeline_without_an_engine_says_where_it_looked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)
    task = Node("build", TASK, steps=(Step("go", cmd="go build"),))
    run = await Engine().run(Pipeline("p", (task,), executor=container("golang")))
    assert run.nodes["build"].error == UNREACHABLE
    assert run.nodes["build"].steps[0].error == UNREACHABLE


async def test_without_an_engine_reachable_says_why_and_a_sweep_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", NOWHERE)
    assert await docker_engine.reachable() == UNREACHABLE

    async def live(run_ids: list[str]) -> list[str]:
        return run_ids

    with pytest.raises(docker_engine.EngineUnreachable, match="is dockerd running"):
        await sweep(scopes.agent_scope("a"), live)


async def test_without_the_docker_sdk_the_container_executor_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/other.sock")  # no client made yet
    monkeypatch.setitem(sys.modules, "docker", None)  # as if it were not installed
    task = Node("build", TASK, steps=(Step("go", cmd="go build"),))
    run = await Engine().run(Pipeline("p", (task,), executor=container("golang")))
    said = "the container executor needs docker, which is not installed: pip install 'xene[docker]'"
    assert run.nodes["build"].error == said
    # An agent asking whether to offer `docker` learns first that nobody listens there.
    assert (await docker_engine.reachable() or "").startswith("cannot reach the Docker engine")
