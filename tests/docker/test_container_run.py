"""Runs of container pipelines on a real Docker engine, through `Engine().run`: every step
exec'd in the run's one container, the workspace shared, the container gone at the end."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import Recorder
from tests.docker import containers
from tests.docker.containers import engine, pipeline, task
from xene.ir import Edge, Node, RetryPolicy


@pytest.fixture
def scope(docker_client: Any) -> Iterator[str]:
    yield from containers.scope(docker_client)


def said(recorder: Recorder, node: str) -> list[str]:
    return [line for key, _, line in recorder.lines if key == node]


async def test_the_seed_shape_runs_its_tasks_in_order_in_one_container(
    busybox: str, scope: str, docker_client: Any
) -> None:
    """The original Xene example's shape: four tasks in a chain, absolute and relative
    working directories, files left by one task used by the next, the pipeline's envs."""
    recorder = Recorder()
    p = pipeline(
        busybox,
        task("prepare", "pwd; hostname; echo tools > tools.txt", working_dir="/go/src/example/"),
        task(
            "fetch",
            "mkdir -p ping && echo 'all: built' > ping/Makefile; hostname",
            working_dir="/go/src/example/",
        ),
        task(
            "compile",
            "pwd; cat Makefile",
            'echo "$GREETING $STAGE" > ../../../../workspace/bin',
            working_dir="/go/src/example/ping/",
            env={"STAGE": "compile"},
        ),
        task(
            "check", "pwd; cat bin; cat /go/src/example/tools.txt; hostname", working_dir="out/../."
        ),
        edges=(Edge("prepare", "fetch"), Edge("fetch", "compile"), Edge("compile", "check")),
        env={"GREETING": "hello"},
    )
    run = await engine(scope, recorder).run(p)
    assert run.succeeded, run.error
    running = [key for key, state in recorder.states if state == "Running"]
    assert running == ["prepare", "fetch", "compile", "check"]
    host = said(recorder, "prepare")[1]
    assert said(recorder, "prepare") == ["/go/src/example", host]
    assert said(recorder, "fetch") == [host]
    assert said(recorder, "compile") == ["/go/src/example/ping", "all: built"]
    assert said(recorder, "check") == ["/workspace", "hello compile", "tools", host]
    assert containers.leftovers(docker_client, scope) == ([], [])


async def test_parallel_first_steps_make_one_container(busybox: str, scope: str) -> None:
    recorder = Recorder()
    p = pipeline(busybox, *(task(f"t{i}", "hostname") for i in range(4)))
    run = await engine(scope, recorder).run(p)
    assert run.succeeded, run.error
    assert len({line for _, _, line in recorder.lines}) == 1


async def test_output_comes_line_by_line_in_order_with_its_stderr(busybox: str, scope: str) -> None:
    recorder = Recorder()
    long = 'head -c 100000 /dev/zero | tr "\\0" x; echo'
    p = pipeline(busybox, task("t", f"echo one; echo two >&2; echo three; {long}; printf tail"))
    run = await engine(scope, recorder).run(p)
    assert run.succeeded, run.error
    lines = said(recorder, "t")
    assert lines[:3] == ["one", "two", "three"]
    assert lines[3:5] == ["x" * 65536, "x" * (100000 - 65536)]
    assert lines[5:] == ["tail"]


async def test_xene_output_and_the_steps_environment(busybox: str, scope: str) -> None:
    p = pipeline(
        busybox,
        task(
            "t",
            'echo "run=$XENE_RUN_ID" >> "$XENE_OUTPUT"; echo "task=$XENE_TASK" >> "$XENE_OUTPUT"',
            'echo "where=${XENE_OUTPUT%/*}" >> "$XENE_OUTPUT"; echo "mine=$MINE" >> "$XENE_OUTPUT"',
            env={"MINE": "a value with spaces"},
        ),
    )
    run = await engine(scope).run(p)
    assert run.succeeded, run.error
    assert run.nodes["t"].output == {
        "run": run.id,
        "task": "t",
        "where": "/workspace/.xene/out",
        "mine": "a value with spaces",
    }


async def test_a_failing_step_fails_its_task_and_the_rest_do_not_run(
    busybox: str, scope: str, docker_client: Any
) -> None:
    recorder = Recorder()
    p = pipeline(busybox, task("t", "true", "echo failing; exit 3", "echo never"))
    run = await engine(scope, recorder).run(p)
    assert str(run.state) == "Error"
    assert run.error == "t: step 's1' exited with code 3"
    assert [str(s.state) for s in run.nodes["t"].steps] == ["Success", "Error", "NotExecuted"]
    assert said(recorder, "t") == ["failing"]
    assert containers.leftovers(docker_client, scope) == ([], [])


async def test_a_working_dir_that_cannot_be_made_says_so(busybox: str, scope: str) -> None:
    p = pipeline(busybox, task("t", "echo never", working_dir="/proc/none/here"))
    run = await engine(scope).run(p)
    error = run.nodes["t"].error or ""
    assert error.startswith("cannot create workingDir '/proc/none/here' in container xene-")
    assert "/proc/none" in error.partition(": ")[2]


async def test_steps_run_as_the_configured_user_in_a_workspace_of_theirs(
    busybox: str, scope: str
) -> None:
    recorder = Recorder()
    p = pipeline(
        busybox,
        task(
            "t",
            "id -u; echo mine > file; ls -n file | awk '{print $3}'",
            "echo k=v >> $XENE_OUTPUT",
        ),
        user="nobody",
    )
    run = await engine(scope, recorder).run(p)
    assert run.succeeded, run.error
    assert said(recorder, "t") == ["65534", "65534"]
    assert run.nodes["t"].output == {"k": "v"}


async def test_a_retry_runs_again_in_the_same_container(busybox: str, scope: str) -> None:
    recorder = Recorder()
    once = "hostname; [ -f tried ] || { touch tried; exit 1; }"
    retry = RetryPolicy(max_attempts=2, initial_delay_ms=1, jitter=False)
    run = await engine(scope, recorder).run(pipeline(busybox, task("t", once, retry=retry)))
    assert run.succeeded, run.error
    first, second = (line for _, step, line in recorder.lines if step == "s0")
    assert first == second


async def test_a_task_with_its_own_image_shares_the_workspace(
    busybox: str, scope: str, docker_client: Any
) -> None:
    other = f"xene-test-busybox-{uuid.uuid4().hex[:8]}:latest"
    docker_client.images.get(busybox).tag(other)
    try:
        recorder = Recorder()
        p = pipeline(
            busybox,
            task("make", "hostname; echo made > shared.txt"),
            task("use", "hostname; cat shared.txt", image=other),
            task("back", "hostname; cat shared.txt"),
            edges=(Edge("make", "use"), Edge("use", "back")),
        )
        run = await engine(scope, recorder).run(p)
        assert run.succeeded, run.error
        made, used, back = (said(recorder, key) for key in ("make", "use", "back"))
        assert used[1] == back[1] == "made"
        assert made[0] == back[0] != used[0]
        assert containers.leftovers(docker_client, scope) == ([], [])
    finally:
        docker_client.images.remove(other)


async def test_the_container_is_labelled_limited_and_removed_when_the_run_ends(
    busybox: str, scope: str, docker_client: Any
) -> None:
    p = pipeline(
        busybox,
        task("t", "echo waiting; while [ ! -f go ]; do sleep 0.02; done"),
        cpus=0.5,
        memory="64m",
        pids=50,
    )
    recorder = Recorder()
    execution = engine(scope, recorder).prepare(p, workflow="wf")
    running = asyncio.ensure_future(execution.execute())
    await containers.until(lambda: said(recorder, "t") == ["waiting"], "the step runs")
    (found,) = docker_client.containers.list(filters=containers.labelled(scope))
    run_id = execution.run.id
    assert found.name == f"xene-{run_id}"
    assert {k: v for k, v in found.labels.items() if k.startswith("xene.")} == {
        "xene.run": run_id,
        "xene.workflow": "wf",
        "xene.pipeline": "p",
        "xene.scope": scope,
        "xene.image": busybox,
    }
    host = found.attrs["HostConfig"]
    assert (host["NanoCpus"], host["Memory"], host["PidsLimit"]) == (500_000_000, 64 << 20, 50)
    assert (host["NetworkMode"], host["Init"]) == ("none", True)
    assert [(m["Name"], m["Destination"]) for m in found.attrs["Mounts"]] == [
        (f"xene-{run_id}", "/workspace")
    ]
    found.exec_run(["touch", "/workspace/go"])
    run = await running
    assert run.succeeded, run.error
    assert containers.leftovers(docker_client, scope) == ([], [])


async def test_a_std_shell_node_runs_in_the_container_too(busybox: str, scope: str) -> None:
    shell = Node(
        "s", "std::shell", config={"command": 'cat /etc/hostname; echo n=1 >> "$XENE_OUTPUT"'}
    )
    p = pipeline(busybox, task("t", "true"), shell, edges=(Edge("t", "s"),))
    run = await engine(scope).run(p)
    assert run.succeeded, run.error
    assert run.nodes["s"].output == {"exit_code": 0, "n": "1"}
