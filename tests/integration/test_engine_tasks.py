"""Xene tasks and their steps, run by the engine on real subprocesses."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from tests.conftest import FakeClock, Recorder, states
from xene.engine.engine import Engine
from xene.ir import TASK, Edge, Node, Pipeline, RetryPolicy, Step


def task(name: str, *cmds: str, **fields: object) -> Node:
    steps = tuple(Step(f"s{i}", cmd=cmd) for i, cmd in enumerate(cmds))
    return Node(name, TASK, steps=steps, join="all", **fields)  # type: ignore[arg-type]


def pipeline(*nodes: Node, edges: tuple[Edge, ...] = (), **fields: object) -> Pipeline:
    return Pipeline("p", nodes=nodes, edges=edges, **fields)  # type: ignore[arg-type]


async def test_a_failed_dependency_leaves_downstream_not_executed_and_other_branches_run(
    engine: Engine,
) -> None:
    p = pipeline(
        task("setup", "true"),
        task("lint", "exit 3"),
        task("test", "true"),
        task("build", "true"),
        edges=(Edge("setup", "lint"), Edge("setup", "test"), Edge("lint", "build")),
    )
    run = await engine.run(p)
    assert states(run) == {
        "setup": "Success",
        "lint": "Error",
        "test": "Success",
        "build": "NotExecuted",
    }
    assert str(run.state) == "Error"
    assert run.error == "lint: step 's0' exited with code 3"


async def test_a_failing_step_stops_the_task_and_later_steps_stay_not_executed(
    engine: Engine,
) -> None:
    run = await engine.run(pipeline(task("t", "true", "false", "true")))
    assert [str(s.state) for s in run.nodes["t"].steps] == ["Success", "Error", "NotExecuted"]


async def test_shell_steps_support_pipes_and_redirections_in_the_working_dir(
    engine: Engine, tmp_path: Path
) -> None:
    workdir = tmp_path / "made" / "here"
    cmd = "echo hello | tr a-z A-Z > out.txt && cat out.txt"
    run = await engine.run(pipeline(task("t", cmd, working_dir=str(workdir))))
    assert run.succeeded
    assert (workdir / "out.txt").read_text() == "HELLO\n"


async def test_step_output_is_streamed_line_by_line(engine: Engine, recorder: Recorder) -> None:
    await engine.run(pipeline(task("t", "printf 'one\\ntwo\\n'; printf three")))
    assert recorder.lines == [("t", "s0", "one"), ("t", "s0", "two"), ("t", "s0", "three")]


async def test_outputs_written_to_xene_output_become_the_next_tasks_input(
    engine: Engine, recorder: Recorder
) -> None:
    p = pipeline(
        task("a", "echo version=1.2.3 >> $XENE_OUTPUT; echo 'bad line' >> $XENE_OUTPUT"),
        task("b", "echo got $XENE_INPUT"),
        edges=(Edge("a", "b"),),
    )
    run = await engine.run(p)
    assert run.nodes["a"].output == {"version": "1.2.3"}
    assert ("b", "s0", 'got {"version": "1.2.3"}') in recorder.lines


async def test_steps_get_pipeline_envs_and_xene_run_variables(
    engine: Engine, recorder: Recorder
) -> None:
    p = pipeline(
        task("t", "echo $GREETING $XENE_RUN_ID $XENE_ATTEMPT $XENE_IDEMPOTENCY_KEY"),
        env={"GREETING": "hi"},
    )
    run = await engine.run(p)
    assert recorder.lines[0][2] == f"hi {run.id} 1 {run.id}/t/s0"


async def test_a_failing_task_is_retried_with_growing_backoff(
    engine: Engine, clock: FakeClock, tmp_path: Path
) -> None:
    counter = tmp_path / "count"
    cmd = f"echo x >> {counter}; [ $(wc -l < {counter}) -ge 3 ]"
    policy = RetryPolicy(max_attempts=4, initial_delay_ms=100, backoff_multiplier=2, jitter=False)
    run = await engine.run(pipeline(task("t", cmd, retry=policy)))
    assert run.succeeded
    assert run.nodes["t"].attempt == 3
    assert clock.slept == [0.1, 0.2]


async def test_retries_stop_after_max_attempts(engine: Engine, clock: FakeClock) -> None:
    policy = RetryPolicy(max_attempts=2, initial_delay_ms=10)
    run = await engine.run(pipeline(task("t", "exit 1", retry=policy)))
    assert str(run.state) == "Error"
    assert run.nodes["t"].attempt == 2
    assert len(clock.slept) == 1


async def test_a_step_timeout_kills_the_process_group(engine: Engine, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    step = Step("slow", cmd=f"sleep 30 & echo $! > {pidfile}; wait", timeout_s=1.0)
    run = await engine.run(pipeline(Node("t", TASK, steps=(step,), join="all")))
    assert str(run.state) == "Error"
    assert run.nodes["t"].error == "step 'slow' timed out after 1 s"
    assert not _alive(int(pidfile.read_text()))


async def test_cancelling_a_run_kills_its_steps_and_marks_them_cancelled(
    engine: Engine, recorder: Recorder, tmp_path: Path
) -> None:
    pidfile = tmp_path / "pid"
    p = pipeline(
        task("slow", f"echo $$ > {pidfile}; echo started; sleep 30"),
        task("after", "true"),
        edges=(Edge("slow", "after"),),
    )
    execution = engine.prepare(p)
    started = asyncio.Event()
    original = recorder.log

    def log(run: object, node: object, step: object, line: str) -> None:
        original(run, node, step, line)  # type: ignore[arg-type]
        if line == "started":
            started.set()

    recorder.log = log  # type: ignore[method-assign]
    running = asyncio.ensure_future(execution.execute())
    await started.wait()
    await execution.cancel()
    run = await running
    assert str(run.state) == "Cancelled"
    assert states(run) == {"slow": "Cancelled", "after": "NotExecuted"}
    assert str(run.nodes["slow"].steps[0].state) == "Cancelled"
    assert not _alive(int(pidfile.read_text()))


async def test_independent_tasks_run_concurrently_up_to_the_pipeline_limit(
    engine: Engine, recorder: Recorder
) -> None:
    nodes = [task(f"t{i}", "sleep 0.05") for i in range(6)]
    run = await engine.run(pipeline(*nodes, max_concurrency=2))
    assert run.succeeded
    assert recorder.max_running == 2


async def test_the_run_timeout_ends_the_run_in_error(engine: Engine) -> None:
    run = await engine.run(pipeline(task("t", "sleep 30"), timeout_s=0.3))
    assert str(run.state) == "Error"
    assert run.error == "the run timed out after 0.3 s"
    assert states(run) == {"t": "Cancelled"}


async def test_the_container_executor_without_an_engine_fails_with_a_clear_message(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    from xene.ir import ContainerConfig, Executor

    monkeypatch.setenv("DOCKER_HOST", "tcp://127.0.0.1:1")
    p = pipeline(task("t", "go build"), executor=Executor("container", ContainerConfig("golang")))
    run = await engine.run(p)
    assert run.nodes["t"].error == (
        "cannot reach the Docker engine at tcp://127.0.0.1:1: is dockerd running? "
        "(DOCKER_HOST=tcp://127.0.0.1:1)"
    )


def _alive(pid: int, name: str = "sleep") -> bool:
    """Is `pid` a live process running `name`? (A dead one's pid may be reused.)"""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().split(b"\0")[0].decode(errors="replace")
    except (OSError, IndexError):
        return False
    return state != "Z" and os.path.basename(command) in (name, "sh")


async def test_python_steps_get_the_task_input_and_return_its_output(
    engine: Engine, recorder: Recorder
) -> None:
    from tests.integration import helpers

    p = pipeline(
        Node("a", TASK, steps=(Step("double", kind="python", fn=helpers.double),), join="all"),
        Node(
            "b",
            TASK,
            steps=(Step("inc", kind="python", call="tests.integration.helpers:add_one"),),
            join="all",
        ),
        Node("c", TASK, steps=(Step("talk", kind="python", fn=helpers.chatty),), join="all"),
        edges=(Edge("a", "b"),),
    )
    run = await engine.run(p, {"value": 5})
    assert run.nodes["a"].output == {"value": 10}
    assert run.nodes["b"].output == {"value": 11}
    assert ("c", "talk", "hello from a thread") in recorder.lines


async def test_a_tasks_shell_steps_go_through_the_executor_its_pipeline_names() -> None:
    """The engine sees only the Executor seam: an executor given for `local` gets every
    shell step's command, with the step's environment, and its result is the step's."""
    from xene.engine.engine import Engine
    from xene.engine.options import EngineOptions
    from xene.executors.base import Command, CommandResult

    seen: list[Command] = []

    class Recording:
        async def run(self, command: Command) -> CommandResult:
            seen.append(command)
            command.on_line(f"ran {command.cmd}")
            return CommandResult(0, {"where": "elsewhere"})

    engine = Engine(EngineOptions(executors={"local": Recording()}))
    run = await engine.run(Pipeline("p", nodes=(task("t", "make build"),)))
    assert run.succeeded
    assert [c.cmd for c in seen] == ["make build"]
    assert seen[0].env["XENE_TASK"] == "t"
    assert run.nodes["t"].output == {"where": "elsewhere"}
