"""`xene serve` killed while a container run's step runs: the container outlives it, and
the next server on the store takes the run over in that container (the finished task's
files still in the workspace, the killed step run again), then removes it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.test_serve import Server, until
from tests.docker.test_serve import of_run, serve

__all__ = ["serve"]
pytestmark = pytest.mark.slow

# The host folder HOST is mounted at /host: the test sees the step's attempts there and
# lets it end by making /host/go.
RESUMED = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: resumed}
spec:
  triggers: {manual: {type: manual}}
  pipelines:
    build:
      trigger: manual
      executor:
        type: container
        containerConfig: {image: IMAGE, network: none, volumes: ["HOST:/host"]}
      tasks:
        make:
          steps: [{name: s, type: shell, cmd: "echo made-once >> made.txt"}]
        wait:
          dependencies: [make]
          steps:
            - name: s
              type: shell
              cmd: >-
                echo "$XENE_ATTEMPT" >> /host/attempts;
                while [ ! -f /host/go ]; do sleep 0.05; done;
                cat made.txt
"""


def test_a_killed_servers_container_run_is_taken_over_in_its_container_by_the_next(
    serve: Callable[..., Server], docker_client: Any, busybox: str, tmp_path: Path
) -> None:
    host = tmp_path / "host"
    host.mkdir()
    attempts = host / "attempts"
    first = serve()
    first.apply(RESUMED.replace("IMAGE", busybox).replace("HOST", str(host)))
    answer = first.client.post("/api/v1/workflows/resumed/pipelines/build/runs", json={})
    run_id = answer.json()["run_id"]
    until(lambda: attempts.exists() and attempts.read_text().split() == ["1"], "the step runs")
    (container,) = of_run(docker_client, run_id)[0]
    first.kill()  # SIGKILL: nothing is cleaned up

    assert of_run(docker_client, run_id)[0][0].id == container.id, "the container outlives it"
    second = serve()
    until(lambda: attempts.read_text().split() == ["1", "2"], "the step run again")
    (again,) = of_run(docker_client, run_id)[0]
    assert again.id == container.id, "taken over in the same container"
    (host / "go").touch()
    run = second.wait_final(run_id)
    assert run["state"] == "Success", (run["error"], [n["error"] for n in run["nodes"]])
    nodes = {n["node"]: n for n in run["nodes"]}
    assert (nodes["make"]["attempts"], nodes["wait"]["attempts"]) == (1, 2)
    logs = second.client.get(f"/api/v1/runs/{run_id}/logs").json()
    lines = [line for chunk in logs["chunks"] for line in chunk["lines"]]
    assert lines[-1:] == ["made-once"], "the workspace kept the finished task's file"
    until(lambda: of_run(docker_client, run_id) == ([], []), "the run's container removed")
