"""`xene serve` on a real Docker engine: its built-in agent offers `docker`, runs a
container pipeline triggered through the API in a container removed at the run's end,
and sweeps the store's leftover containers at start and periodically.

Each test has its own SQLite store in its own folder: the store's container scope
(`xene.cli.stores.scope_of`) is the test's own, so a sweep here never touches another
test's containers.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.test_serve import Server, until
from xene.cli.stores import scope_of

pytestmark = pytest.mark.slow

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
      envs: {GREETING: hello}
      tasks:
        make:
          workingDir: src
          steps:
            - {name: write, type: shell, cmd: "echo $GREETING > made.txt"}
        check:
          dependencies: [make]
          workingDir: src
          steps:
            - {name: read, type: shell, cmd: "cat made.txt; pwd; echo users=$(wc -l < /etc/passwd)"}
"""
LOCAL = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: plain}
spec:
  triggers: {manual: {type: manual}}
  pipelines:
    here:
      trigger: manual
      tasks:
        t: {steps: [{name: s, type: shell, cmd: "true"}]}
    nowhere:
      trigger: manual
      agent: {labels: [no-such-label]}
      tasks:
        t: {steps: [{name: s, type: shell, cmd: "true"}]}
"""


@pytest.fixture
def serve(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def make(*extra: str, env: dict[str, str] | None = None) -> Server:
        made = Server(tmp_path, *extra, env=env).start()
        started.append(made)
        return made

    yield make
    for each in started:
        each.stop()


def store_of(tmp_path: Path) -> str:
    """The store `Server` opens in `tmp_path` (tests.acceptance.test_serve)."""
    return f"sqlite:///{tmp_path / 'runs.db'}"


def builtin_labels(server: Server) -> list[str]:
    (agent,) = server.client.get("/api/v1/agents").json()["agents"]
    return list(agent["labels"])


def of_run(docker_client: Any, run_id: str) -> tuple[list[Any], list[Any]]:
    """The containers and volumes labelled with the run's id (a container removed
    between the engine's list and the SDK's look at it is not there: not an error)."""
    selector = {"label": f"xene.run={run_id}"}
    containers = docker_client.containers.list(all=True, filters=selector, ignore_removed=True)
    return containers, docker_client.volumes.list(filters=selector)


def test_a_container_pipeline_triggered_through_the_api_runs_in_a_container_removed_at_its_end(
    serve: Callable[..., Server], docker_client: Any, busybox: str, tmp_path: Path
) -> None:
    server = serve()
    assert "docker" in builtin_labels(server)
    server.apply(BOXED.replace("IMAGE", busybox))
    answer = server.client.post("/api/v1/workflows/boxed/pipelines/build/runs", json={})
    assert answer.status_code in (200, 201, 202), answer.text
    run_id = answer.json()["run_id"]
    run = server.wait_final(run_id)
    assert run["state"] == "Success", (run["error"], [n["error"] for n in run["nodes"]])
    logs = server.client.get(f"/api/v1/runs/{run_id}/logs").json()
    lines = [line for chunk in logs["chunks"] for line in chunk["lines"]]
    # The workspace crossed tasks; the steps ran in the image (its /etc/passwd has two
    # users), in the working directory made under the workspace.
    assert lines == ["hello", "/workspace/src", "users=2"]
    # Removed once the run has ended (its end is committed first).
    until(lambda: of_run(docker_client, run_id) == ([], []), "the run's container removed")


def test_without_an_engine_the_built_in_agent_offers_no_docker_and_a_container_run_says_why(
    serve: Callable[..., Server], busybox: str
) -> None:
    server = serve(env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert "docker" not in builtin_labels(server)
    log = (server.work / "server.log").read_text()
    assert "(no docker label): cannot reach the Docker engine at unix:///nonexistent" in log
    server.apply(BOXED.replace("IMAGE", busybox))
    answer = server.client.post("/api/v1/workflows/boxed/pipelines/build/runs", json={})
    run_id = answer.json()["run_id"]

    def waiting() -> bool:
        run = server.client.get(f"/api/v1/runs/{run_id}").json()
        return bool(run["waiting_for"] == "no online agent has label docker")

    until(waiting, "the container run to wait for an agent labelled docker")
    assert server.client.get(f"/api/v1/runs/{run_id}").json()["state"] == "WaitingForExecutor"


def test_docker_given_by_hand_without_an_engine_is_kept_with_a_warning(
    serve: Callable[..., Server],
) -> None:
    server = serve("--labels", "docker", env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert builtin_labels(server) == ["docker"]
    log = (server.work / "server.log").read_text()
    assert "offers the docker label as asked, but cannot reach the Docker engine" in log


def leftover(docker_client: Any, busybox: str, scope: str, run_id: str) -> Any:
    """A container (created, not started) and a volume as a run's would be left."""
    labels = {"xene.scope": scope, "xene.run": run_id, "xene.test": "test_serve"}
    docker_client.volumes.create(name=f"xene-test-{uuid.uuid4().hex[:12]}", labels=labels)
    return docker_client.containers.create(busybox, ["sleep", "1000"], labels=labels)


@pytest.fixture
def cleanup(docker_client: Any) -> Iterator[list[Any]]:
    """Containers (and their runs' volumes) a test made, removed after it."""
    made: list[Any] = []
    yield made
    for container in made:
        for each in docker_client.containers.list(
            all=True, filters={"label": f"xene.run={container.labels['xene.run']}"}
        ):
            each.remove(force=True)
        for volume in docker_client.volumes.list(
            filters={"label": f"xene.run={container.labels['xene.run']}"}
        ):
            volume.remove(force=True)


def exists(docker_client: Any, container: Any) -> bool:
    return bool(docker_client.containers.list(all=True, filters={"id": container.id}))


def test_serve_sweeps_containers_of_its_stores_finished_runs_at_start_and_periodically(
    serve: Callable[..., Server],
    docker_client: Any,
    busybox: str,
    tmp_path: Path,
    cleanup: list[Any],
) -> None:
    server = serve("--sweep-every", "0.2")
    server.apply(LOCAL)
    runs = server.client.post("/api/v1/workflows/plain/pipelines/here/runs", json={})
    finished = runs.json()["run_id"]
    assert server.wait_final(finished)["state"] == "Success"
    waits = server.client.post("/api/v1/workflows/plain/pipelines/nowhere/runs", json={})
    unfinished = waits.json()["run_id"]
    scope = scope_of(store_of(tmp_path))
    other_scope = f"test:{uuid.uuid4()}"
    swept = leftover(docker_client, busybox, scope, finished)
    kept = leftover(docker_client, busybox, scope, unfinished)
    elsewhere = leftover(docker_client, busybox, other_scope, finished)
    cleanup += [swept, kept, elsewhere]

    until(lambda: not exists(docker_client, swept), "the finished run's container swept")
    volumes = of_run(docker_client, finished)[1]
    assert [v.attrs["Labels"]["xene.scope"] for v in volumes] == [other_scope], "its volume too"
    assert exists(docker_client, kept), "an unfinished run's container is kept"
    assert exists(docker_client, elsewhere), "another scope's container is not touched"

    server.stop()  # a leftover of a dead server: swept at the next one's start
    again = leftover(docker_client, busybox, scope, finished)
    cleanup.append(again)
    serve()  # sweeping every 60 s: only the sweep at start can remove it in time
    until(lambda: not exists(docker_client, again), "the leftover swept at start")
    assert exists(docker_client, kept)
