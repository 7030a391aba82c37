"""Container runs in the fleet: an agent that reaches a Docker engine offers `docker` and
takes them, one that does not is never given one; an agent sweeps the containers of runs
it does not hold (its scope, `agent:NAME`).

Its agents have names of their own (certificates made here), so their sweeps never
touch the containers of another test's agents sharing the engine.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.docker.conftest import busybox, docker_client
from tests.fleet.conftest import Fleet, xene
from tests.fleet.harness import AgentProcess, Pki, Server, until

__all__ = ["busybox", "docker_client"]
pytestmark = pytest.mark.slow
NO_ENGINE = "unix:///nonexistent/docker.sock"
BOXED = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: boxed}
spec:
  triggers: {manual: {type: manual}}
  pipelines:
    build:
      trigger: manual
      executor: {type: container, containerConfig: {image: IMAGE, network: none}}
      tasks:
        make: {steps: [{name: s, type: shell, cmd: "echo made > made.txt"}]}
        check:
          dependencies: [make]
          steps: [{name: s, type: shell, cmd: "cat made.txt; echo users=$(wc -l < /etc/passwd)"}]
"""


@pytest.fixture(scope="module")
def names(pki: Pki) -> tuple[str, str]:
    """Two agents' names, unique to this run of the tests, with their certificates."""
    tag = uuid.uuid4().hex[:8]
    made = (f"boxes-{tag}", f"plain-{tag}")
    for name in made:
        xene("certs", "agent", name, "--dir", str(pki.dir))
    return made


def agent(fleet: Fleet, server: Server, name: str, *, engine: bool) -> AgentProcess:
    """An agent of `server`, which reaches the engine or not (DOCKER_HOST)."""
    made = AgentProcess(fleet.pki, name, [server], extra=_certs(fleet.pki, name))
    if not engine:
        made.env["DOCKER_HOST"] = NO_ENGINE
    fleet.children.append(made)
    return made.start()


def _certs(pki: Pki, name: str) -> list[str]:
    return [
        "--cert", pki.path(f"agent-{name}.pem"), "--key", pki.path(f"agent-{name}.key"),
        "--ca", pki.path("ca.pem"), "--sweep-every", "0.2",
    ]  # fmt: skip


@pytest.fixture
def made(docker_client: Any) -> Iterator[list[Any]]:
    """Containers a test made itself, removed after it."""
    found: list[Any] = []
    yield found
    for container in found:
        for each in docker_client.containers.list(all=True, filters={"id": container.id}):
            each.remove(force=True)


def test_a_container_run_goes_to_the_agent_that_reaches_docker_never_to_one_that_does_not(
    fleet: Fleet, names: tuple[str, str], docker_client: Any, busybox: str, made: list[Any]
) -> None:
    boxes, plain = names
    server = fleet.server()
    api = fleet.api(server)
    agent(fleet, server, plain, engine=False)
    api.wait_online(plain)
    assert "docker" not in api.agents()[plain]["labels"]
    api.apply(BOXED.replace("IMAGE", busybox))
    run_id = api.trigger("boxed", "build")
    why = "no online agent has label docker"
    until(lambda: api.run(run_id)["waiting_for"] == why, f"the run to say {why!r}")
    assert api.run(run_id)["state"] == "WaitingForExecutor"

    scope = f"agent:{boxes}"  # a leftover of a run it does not hold: swept at its start
    labels = {"xene.scope": scope, "xene.run": f"gone-{uuid.uuid4().hex}"}
    left = docker_client.containers.create(busybox, ["sleep", "1000"], labels=labels)
    made.append(left)
    agent(fleet, server, boxes, engine=True)
    run = api.wait_final(run_id, deadline_s=60)
    assert (run["state"], run["owner"]) == ("Success", f"agent:{boxes}"), run
    assert api.log_lines(run_id) == ["made", "users=2"]
    assert "docker" in api.agents()[boxes]["labels"]
    selector = {"label": f"xene.run={run_id}"}

    def removed() -> bool:  # once the run has ended (its end is committed first)
        return not docker_client.containers.list(all=True, filters=selector) and not (
            docker_client.volumes.list(filters=selector)
        )

    until(removed, "the run's container and volume removed")

    def swept() -> bool:
        return not docker_client.containers.list(all=True, filters={"id": left.id})

    until(swept, "the agent to sweep the container of a run it does not hold")
