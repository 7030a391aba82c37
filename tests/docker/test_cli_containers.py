"""`xene run` of a container pipeline on a real Docker engine: it sweeps the containers
that finished runs of its store left behind (never an unfinished run's, which `xene
resume` takes over), and without an engine it says so and exits 2, starting nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.docker import cli_runs
from tests.docker.cli_runs import Workspace, containers_of, volumes_of

NO_ENGINE = {"DOCKER_HOST": "unix:///nonexistent"}
UNREACHABLE = (
    "cannot reach the Docker engine at unix:///nonexistent: is dockerd running? "
    "(DOCKER_HOST=unix:///nonexistent)"
)


@pytest.fixture
def workspace(tmp_path: Path, busybox: str, docker_client: Any) -> Iterator[Workspace]:
    yield from cli_runs.workspace(tmp_path, busybox, docker_client)


def test_the_next_xene_run_sweeps_a_finished_run_s_leftover_container(
    workspace: Workspace, docker_client: Any
) -> None:
    left = workspace.killed_in_compile()
    cancelled = workspace.xene("cancel", left)  # its process is dead: Cancelled at once
    assert cancelled.code == 0, cancelled.err
    assert len(containers_of(docker_client, left)) == 1
    workspace.let_go()
    ran = workspace.xene("run", str(workspace.file))
    assert ran.code == 0, ran.out + ran.err
    assert f"removed the containers left by runs that no longer run: {left}" in ran.err
    assert containers_of(docker_client, left) == []
    assert volumes_of(docker_client, left) == []


def test_an_unfinished_run_s_container_is_not_swept_and_resumes_after(
    workspace: Workspace, docker_client: Any
) -> None:
    left = workspace.killed_in_compile()
    workspace.let_go()
    ran = workspace.xene("run", str(workspace.file))
    assert ran.code == 0, ran.out + ran.err
    assert "removed the containers" not in ran.err
    (kept,) = containers_of(docker_client, left)
    assert kept.status == "running"
    resumed = workspace.xene("resume", left)
    assert resumed.code == 0, resumed.out + resumed.err
    assert containers_of(docker_client, left) == []


def test_xene_run_without_an_engine_says_so_and_exits_2(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path, "xene-test-busybox:latest")
    ran = workspace.xene("run", str(workspace.file), env=NO_ENGINE)
    assert ran.code == 2, ran.out + ran.err
    assert ran.err.strip().splitlines()[-1] == (
        f"xene: {UNREACHABLE}; pipeline 'ping-ci' runs its steps in containers "
        "(executor: container): start dockerd, or point DOCKER_HOST at an engine"
    )
    assert workspace.effects() == []
    listed = workspace.xene("runs")
    assert listed.code == 0, listed.err
    assert "ping-ci" not in listed.out  # no run was started


def test_xene_resume_without_an_engine_exits_2_and_the_run_resumes_later(
    workspace: Workspace, docker_client: Any
) -> None:
    left = workspace.killed_in_compile()
    workspace.let_go()
    refused = workspace.xene("resume", left, env=NO_ENGINE)
    assert refused.code == 2, refused.out + refused.err
    assert UNREACHABLE in refused.err
    assert workspace.effects() == ["prepare", "fetch", "compile"]
    resumed = workspace.xene("resume", left)
    assert resumed.code == 0, resumed.out + resumed.err
    assert workspace.effects() == ["prepare", "fetch", "compile", "compile", "check"]
    assert containers_of(docker_client, left) == []
