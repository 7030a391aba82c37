"""Resuming a container pipeline's run: it takes its containers over when they are still
there; when they are gone, the tasks that had finished in them run again (their files
went with them), noted; a local pipeline's resume asks for no containers at all.

The containers here are a small `RunContainers` of the test's own: each run's workspace
is a directory, its commands run there by the local executor, and "docker rm" removes
the directory. (tests/docker/test_recovery*.py does it on a real engine, through the CLI.)
"""

from __future__ import annotations

import asyncio
import dataclasses
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from xene.core.states import State
from xene.engine.engine import Engine
from xene.engine.execution import Execution
from xene.engine.options import EngineOptions
from xene.engine.workspace_gone import GONE
from xene.executors.base import Command, CommandResult, ContainerRun, RunContainers
from xene.executors.local import LocalExecutor
from xene.ir import TASK, ContainerConfig, Edge, Executor, Node, Pipeline, Step
from xene.store import open_store
from xene.store.base import RunSource, Store

SOURCE = RunSource("", "", "python", "wf", "p")


class Workspaces:
    """What stands for the Docker engine: a directory per run that has a container."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.attached: list[str] = []
        self.step_started = asyncio.Event()

    def of(self, run_id: str) -> Path:
        return self.root / run_id

    def remove(self, run_id: str) -> None:
        shutil.rmtree(self.of(run_id))

    def containers(self, run: ContainerRun) -> RunContainers:
        return Containers(self, run.run_id)


class Containers:
    def __init__(self, workspaces: Workspaces, run_id: str) -> None:
        self.workspaces = workspaces
        self.run_id = run_id

    def executor(self, image: str | None) -> InWorkspace:
        workspace = self.workspaces.of(self.run_id)
        workspace.mkdir(parents=True, exist_ok=True)  # made on first use
        return InWorkspace(workspace, self.workspaces.step_started)

    async def attach(self) -> bool:
        self.workspaces.attached.append(self.run_id)
        return self.workspaces.of(self.run_id).exists()

    async def close(self, *, ended: bool) -> None:
        if ended:
            self.workspaces.remove(self.run_id)


class InWorkspace:
    def __init__(self, workspace: Path, started: asyncio.Event) -> None:
        self.workspace = workspace
        self.started = started

    async def run(self, command: Command) -> CommandResult:
        cwd = str(self.workspace / (command.cwd or ""))
        told = told_of_holding(command, self.started)
        return await LocalExecutor().run(dataclasses.replace(told, cwd=cwd))


def told_of_holding(command: Command, started: asyncio.Event) -> Command:
    """`command`, setting `started` once it prints `holding` (it has begun, for sure)."""

    def on_line(line: str) -> None:
        if line == "holding":
            started.set()
        command.on_line(line)

    return dataclasses.replace(command, on_line=on_line)


def pipeline(tmp_path: Path, executor: Executor) -> Pipeline:
    """build leaves a file in the workspace; `note` is a pure node; wait holds until the
    test lets it go; use needs build's file."""
    log, go = tmp_path / "log", tmp_path / "go"

    def task(name: str, cmd: str) -> Node:
        return Node(name, TASK, steps=(Step("s", cmd=f"echo {name} >> {log}; {cmd}"),))

    nodes = (
        task("build", "echo built > built"),
        Node("note", "std::log", config={"message": "built"}),
        task("wait", f"echo holding; [ -e {go} ] || sleep 1000"),
        task("use", "cat built"),
    )
    edges = (Edge("build", "note"), Edge("note", "wait"), Edge("wait", "use"))
    return Pipeline("p", nodes, edges=edges, executor=executor)


CONTAINER = Executor("container", ContainerConfig("docker.io/library/busybox:latest"))


@pytest.fixture(params=["memory", "sqlite"])
async def store(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Store]:
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path}/x.db"
    opened = await open_store(url)
    yield opened
    await opened.close()


def engine(store: Store, clock: FakeClock, workspaces: Workspaces) -> Engine:
    options = EngineOptions(clock=clock, grace_s=1.0, containers=workspaces.containers)
    return Engine(options, store)


async def stopped_in_wait(
    store: Store, clock: FakeClock, workspaces: Workspaces, pipe: Pipeline
) -> Execution:
    """A run stopped while `wait` runs (build done): left for a resume, as a process
    stopped by SIGTERM leaves it."""
    execution, _ = await engine(store, clock, workspaces).start(pipe, None, SOURCE)
    running = asyncio.ensure_future(execution.execute())
    await workspaces.step_started.wait()
    await execution.abandon()
    run = await running
    assert (run.state, run.nodes["build"].state) == (State.RUNNING, State.SUCCESS)
    return execution


async def resumed(
    store: Store, clock: FakeClock, workspaces: Workspaces, pipe: Pipeline, run_id: str
) -> Execution:
    clock.time += 3600
    (tmp := workspaces.root.parent / "go").touch()
    assert tmp.exists()
    stored = await store.get_run(run_id)
    assert stored is not None
    return await engine(store, clock, workspaces).resume(stored, pipe)


async def test_a_run_whose_container_is_there_takes_it_over_and_reruns_nothing_finished(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    workspaces, pipe = Workspaces(tmp_path / "docker"), pipeline(tmp_path, CONTAINER)
    first = await stopped_in_wait(store, clock, workspaces, pipe)
    execution = await resumed(store, clock, workspaces, pipe, first.run.id)
    run = await execution.execute()
    assert run.state is State.SUCCESS, run.error
    assert workspaces.attached == [run.id]
    assert (tmp_path / "log").read_text().split() == ["build", "wait", "wait", "use"]
    assert {key: node.note for key, node in run.nodes.items()} == dict.fromkeys(run.nodes)
    assert not workspaces.of(run.id).exists()  # removed at the run's end


async def test_a_run_whose_container_is_gone_runs_its_finished_tasks_again_noted(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    workspaces, pipe = Workspaces(tmp_path / "docker"), pipeline(tmp_path, CONTAINER)
    first = await stopped_in_wait(store, clock, workspaces, pipe)
    workspaces.remove(first.run.id)  # `docker rm` while nobody held the run
    execution = await resumed(store, clock, workspaces, pipe, first.run.id)
    run = await execution.execute()
    assert run.state is State.SUCCESS, run.error  # `use` found build's file again
    assert (tmp_path / "log").read_text().split() == ["build", "wait", "build", "wait", "use"]
    stored = await store.get_run(run.id)
    assert stored is not None
    notes = {key: node.note for key, node in stored.record.nodes.items()}
    assert notes == {"build": GONE, "note": None, "wait": None, "use": None}
    assert stored.record.nodes["build"].attempt == 2
    assert stored.record.nodes["build"].state is State.SUCCESS


async def test_a_local_pipeline_s_resume_asks_for_no_containers(
    store: Store, clock: FakeClock, tmp_path: Path
) -> None:
    workspaces = Workspaces(tmp_path / "docker")
    local = pipeline(tmp_path, Executor("local"))
    started = asyncio.Event()

    class Seen(LocalExecutor):
        async def run(self, command: Command) -> CommandResult:
            work = tmp_path / "work"
            work.mkdir(exist_ok=True)
            told = told_of_holding(command, started)
            return await super().run(dataclasses.replace(told, cwd=str(work)))

    options = EngineOptions(
        clock=clock, grace_s=1.0, containers=workspaces.containers, executors={"local": Seen()}
    )
    execution, _ = await Engine(options, store).start(local, None, SOURCE)
    running = asyncio.ensure_future(execution.execute())
    await started.wait()
    await execution.abandon()
    await running
    clock.time += 3600
    (tmp_path / "go").touch()
    stored = await store.get_run(execution.run.id)
    assert stored is not None
    run = await (await Engine(options, store).resume(stored, local)).execute()
    assert run.state is State.SUCCESS, run.error
    assert workspaces.attached == []
    assert not workspaces.root.exists()
    assert (tmp_path / "log").read_text().split() == ["build", "wait", "wait", "use"]
