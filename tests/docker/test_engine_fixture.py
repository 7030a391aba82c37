from __future__ import annotations

from typing import Any


def test_the_local_image_runs_a_shell(docker_client: Any, busybox: str) -> None:
    out = docker_client.containers.run(busybox, ["sh", "-c", "echo container-ok"], remove=True)
    assert out == b"container-ok\n"
