"""The sweeper the built-in and remote agents share (xene.agent.containers.Sweeper): a
sweep that fails removes nothing, raises nothing, and is logged once until one works."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from xene.agent.containers import Sweeper


@pytest.fixture
def scope(docker_client: Any) -> Iterator[str]:
    """A scope of the test's own; whatever is left in it is removed after."""
    made = f"test:{uuid.uuid4()}"
    yield made
    for container in docker_client.containers.list(
        all=True, filters={"label": f"xene.scope={made}"}
    ):
        container.remove(force=True)


def leftover(docker_client: Any, busybox: str, scope: str) -> Any:
    labels = {"xene.scope": scope, "xene.run": f"run-{uuid.uuid4().hex}"}
    return docker_client.containers.create(busybox, ["sleep", "1000"], labels=labels)


def exists(docker_client: Any, container: Any) -> bool:
    found = docker_client.containers.list(
        all=True, filters={"id": container.id}, ignore_removed=True
    )  # removed between the engine's list and the SDK's look: gone, not an error
    return bool(found)


async def nothing_runs(run_ids: list[str]) -> list[str]:
    return []


async def test_without_an_engine_a_sweep_is_logged_once_then_works_when_it_answers(
    docker_client: Any,
    busybox: str,
    scope: str,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    left = leftover(docker_client, busybox, scope)
    sweeper = Sweeper(scope, nothing_runs)
    with monkeypatch.context() as patched, caplog.at_level(logging.WARNING, logger="xene.agent"):
        patched.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
        assert await sweeper.sweep() == []
        assert await sweeper.sweep() == []
    warned = [r.getMessage() for r in caplog.records if "sweeping" in r.getMessage()]
    assert len(warned) == 1, warned
    assert "cannot reach the Docker engine at unix:///nonexistent/docker.sock" in warned[0]
    assert await sweeper.sweep() == [left.labels["xene.run"]]
    assert not exists(docker_client, left)


async def test_when_which_runs_still_run_cannot_be_told_nothing_is_removed(
    docker_client: Any, busybox: str, scope: str, caplog: pytest.LogCaptureFixture
) -> None:
    left = leftover(docker_client, busybox, scope)

    async def store_away(run_ids: list[str]) -> list[str]:
        raise ConnectionError("the store does not answer")

    with caplog.at_level(logging.WARNING, logger="xene.agent"):
        assert await Sweeper(scope, store_away).sweep() == []
    assert exists(docker_client, left), "a run that may still run keeps its container"
    assert any("the store does not answer" in r.getMessage() for r in caplog.records)
