"""Fixtures for tests on a real Docker engine (`tests/docker/engine.py`).

Without an engine (none answers and none can be started) these tests skip, loudly, and
fail under CI=true.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

from tests.docker import engine


def _unavailable(reason: str) -> None:
    message = f"DOCKER TESTS NOT RUN: {reason}. scripts/bootstrap installs docker.io as root."
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip("!!! " + message)


@pytest.fixture(scope="session")
def docker_client() -> Iterator[Any]:
    """A client of a running engine; one the tests started is stopped after them."""
    try:
        found = engine.client()
    except engine.NoEngine as error:
        _unavailable(str(error))
    yield found
    found.close()
    engine.stop_started()


@pytest.fixture(scope="session")
def busybox(docker_client: Any) -> str:
    """The name of a busybox image on the engine, made locally."""
    try:
        return engine.busybox_image(docker_client)
    except engine.NoEngine as error:
        _unavailable(str(error))
        raise
