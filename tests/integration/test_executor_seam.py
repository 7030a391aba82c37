"""Every command a run runs goes through the Executor seam: a task's shell steps and
`std::shell` nodes alike get the executor their pipeline names, and an executor that is
not built yet fails them, saying so, before anything runs."""

from __future__ import annotations

from pathlib import Path

from xene.engine.engine import Engine
from xene.engine.options import EngineOptions
from xene.executors.base import Command, CommandResult
from xene.executors.local import LocalExecutor
from xene.ir import TASK, Edge, Executor, Node, Pipeline, Step


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


async def test_a_shell_node_of_a_container_pipeline_fails_and_runs_nothing_here(
    tmp_path: Path,
) -> None:
    made = tmp_path / "made"
    pipeline = Pipeline(
        "p", (shell("s", f"touch {made}"),), executor=Executor("container", "alpine")
    )
    run = await Engine().run(pipeline)
    assert str(run.state) == "Error"
    assert run.nodes["s"].error == (
        "node 's' uses the container executor (image 'alpine'), which needs a Docker "
        "engine; run it with `executor: {type: local}` for now"
    )
    assert not made.exists()


async def test_a_task_of_a_container_pipeline_names_itself_a_task() -> None:
    task = Node("build", TASK, steps=(Step("go", cmd="go build"),))
    run = await Engine().run(Pipeline("p", (task,), executor=Executor("container", "golang")))
    assert (run.nodes["build"].error or "").startswith(
        "task 'build' uses the container executor (image 'golang'), which needs a Docker"
    )
