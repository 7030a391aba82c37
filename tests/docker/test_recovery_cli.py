"""A container pipeline's run whose `xene run` was killed (SIGKILL) mid-step, resumed with
`xene resume` on a real Docker engine: it takes its container over when it is still
there; when it was removed meanwhile, the tasks that had finished in it run again in a
new one, and `xene show` says so. Each run's container is gone once it ends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docker import cli_runs
from tests.docker.cli_runs import Workspace, containers_of, volumes_of
from xene.engine.workspace_gone import GONE


@pytest.fixture
def workspace(tmp_path: Path, busybox: str, docker_client: Any) -> Iterator[Workspace]:
    yield from cli_runs.workspace(tmp_path, busybox, docker_client)


def test_a_killed_run_s_container_stays_and_resume_takes_it_over(
    workspace: Workspace, docker_client: Any
) -> None:
    run_id = workspace.killed_in_compile()
    (left,) = containers_of(docker_client, run_id)
    assert left.labels["xene.scope"] == workspace.scope
    assert left.status == "running"
    workspace.let_go()
    resumed = workspace.xene("resume", run_id)
    assert resumed.code == 0, resumed.out + resumed.err
    assert GONE not in resumed.err
    # prepare and fetch were not run again: their files were still in the container
    assert workspace.effects() == ["prepare", "fetch", "compile", "compile", "check"]
    assert containers_of(docker_client, run_id) == []
    assert volumes_of(docker_client, run_id) == []
    shown = workspace.xene("show", run_id, "--json")
    nodes = {node["key"]: node for node in json.loads(shown.out)["nodes"]}
    assert {key: node["note"] for key, node in nodes.items()} == dict.fromkeys(nodes)
    assert {key: node["state"] for key, node in nodes.items()} == dict.fromkeys(nodes, "Success")


def test_a_killed_run_whose_container_was_removed_runs_its_finished_tasks_again(
    workspace: Workspace, docker_client: Any
) -> None:
    run_id = workspace.killed_in_compile()
    for container in containers_of(docker_client, run_id):
        container.remove(force=True)  # `docker rm -f` while nobody held the run
    workspace.let_go()
    resumed = workspace.xene("resume", run_id)
    assert resumed.code == 0, resumed.out + resumed.err
    assert f"prepare, fetch: {GONE}" in resumed.err
    again = ["prepare", "fetch", "compile", "check"]
    assert workspace.effects() == ["prepare", "fetch", "compile", *again]
    assert containers_of(docker_client, run_id) == []
    assert volumes_of(docker_client, run_id) == []
    shown = workspace.xene("show", run_id)
    assert shown.code == 0, shown.err
    lines = shown.out.splitlines()
    for task in ("prepare", "fetch"):
        at = next(i for i, line in enumerate(lines) if line.startswith(f"✓ {task} "))
        assert lines[at + 1].strip() == f"note: {GONE}", shown.out
    assert sum(f"note: {GONE}" in line for line in lines) == 2, shown.out
