"""Running a Xene task: its steps in order, in one working directory, sharing one context.

The first step that fails fails the task; later steps stay `NotExecuted`. A task's output
is the `key=value` lines its steps wrote to `$XENE_OUTPUT`, merged with what its Python
steps returned (a mapping is merged; anything else becomes the output).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable, Mapping
from typing import Any

from xene.core.records import Listener, NodeRecord, RunRecord, StepRecord
from xene.core.states import State
from xene.engine.options import EngineOptions
from xene.engine.run_executors import RunExecutors
from xene.errors import NodeFailed, StepTimeout
from xene.executors.base import Command, Control, Executor
from xene.executors.spawn import Pace
from xene.frozen import frozen
from xene.ir import Node, Pipeline, Step
from xene.nodes.base import NodeResult

MAX_INPUT_ENV = 128 * 1024
"""`$XENE_INPUT` carries the task's input as JSON up to this size."""


@frozen
class TaskRun:
    pipeline: Pipeline
    node: Node
    record: NodeRecord
    run: RunRecord
    input: Any
    options: EngineOptions
    listener: Listener
    executors: RunExecutors
    pace: Pace | None = None
    """The run's journal: steps stop reading output while it has too much to commit."""


async def run_task(task: TaskRun) -> NodeResult:
    executor = task.executors.for_node(task.node, f"task {task.node.id!r}")
    task.record.steps = [StepRecord(step.name) for step in task.node.steps]
    cwd = task.node.working_dir  # the executor makes it where the steps run
    output: Any = {}
    for index, step in enumerate(task.node.steps):
        record = task.record.steps[index]
        _step_state(task, record, State.RUNNING)
        try:
            produced = await _run_step(task, executor, step, cwd, record)
        except asyncio.CancelledError:
            _step_state(task, record, State.CANCELLED)
            raise
        except Exception as exc:
            record.error = str(exc)
            _step_state(task, record, State.ERROR)
            raise
        _step_state(task, record, State.SUCCESS)
        output = _merge_output(output, produced)
    return NodeResult(output=output)


def _step_state(task: TaskRun, record: StepRecord, state: State) -> None:
    now = task.options.clock.now()
    if state is State.RUNNING:
        record.started_at, record.ended_at, record.error = now, None, None
    else:
        record.ended_at = now
    record.state = state
    task.listener.step_changed(task.run, task.record, record)


async def _run_step(
    task: TaskRun, executor: Executor, step: Step, cwd: str | None, record: StepRecord
) -> Any:
    timeout = step.timeout_s or task.options.step_timeout_s
    if step.kind == "python":
        return await _run_python(task, step, timeout)

    def on_line(line: str) -> None:
        task.listener.log(task.run, task.record, step.name, line)

    def on_group(process: str) -> None:
        record.process = process
        task.listener.step_changed(task.run, task.record, record)

    control = Control(task.options.grace_s, task.pace, on_group)
    command = Command(step.cmd, cwd, step_env(task, step), on_line, timeout, control)
    result = await executor.run(command)
    record.exit_code = result.exit_code
    if result.timed_out:
        raise StepTimeout(f"step {step.name!r} timed out after {timeout:g} s")
    if result.exit_code != 0:
        why = f": {result.error}" if result.error else ""  # killed: out of memory (...)
        raise NodeFailed(f"step {step.name!r} exited with code {result.exit_code}{why}")
    return result.outputs


async def _run_python(task: TaskRun, step: Step, timeout: float) -> Any:
    from xene.engine.capture import step_output
    from xene.nodes.python_call import import_callable, invoke

    fn: Callable[..., Any] = step.fn or import_callable(step.call)
    data = task.input if not step.args else {**_as_mapping(task.input), **step.args}

    def on_line(line: str) -> None:
        task.listener.log(task.run, task.record, step.name, line)

    try:
        async with asyncio.timeout(timeout):
            with step_output(on_line):
                return await invoke(fn, data)
    except TimeoutError as exc:
        raise StepTimeout(f"step {step.name!r} timed out after {timeout:g} s") from exc


def _as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {"input": value}


def step_env(task: TaskRun, step: Step) -> dict[str, str]:
    """The environment a step adds: pipeline envs, task env, step env, the secrets the
    task names, then Xene's own."""
    run, key = task.run, task.record.key
    env = {**task.pipeline.env, **task.options.env, **task.node.env, **step.env}
    env.update((ref.name, task.options.secrets[ref.name]) for ref in task.node.secrets)
    env.update(
        XENE_RUN_ID=run.id,
        XENE_WORKFLOW=run.workflow,
        XENE_PIPELINE=run.pipeline,
        XENE_TASK=key,
        XENE_STEP=step.name,
        XENE_ATTEMPT=str(task.record.attempt),
        XENE_IDEMPOTENCY_KEY=f"{run.id}/{key}/{step.name}",
    )
    empty = _EMPTY.get(type(task.input))  # None, {} and []: as json.dumps writes them
    encoded = empty if empty is not None and not task.input else json.dumps(task.input, default=str)
    if len(encoded) <= MAX_INPUT_ENV:
        env["XENE_INPUT"] = encoded
    return env


_EMPTY: dict[type, str] = {type(None): "null", dict: "{}", list: "[]"}


def _merge_output(output: Any, produced: Any) -> Any:
    if produced is None:
        return output
    if isinstance(produced, Mapping):
        return {**output, **produced} if isinstance(output, Mapping) else dict(produced)
    return produced
