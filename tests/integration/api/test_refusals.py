"""Apply through the API refuses what would do nothing (a trigger type not built yet) and
takes a container executor (it runs now); GET shows a pipeline's circuit breaker."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from tests.integration.api.conftest import DEADLINE_S, apply, trigger, wait_run

YAML = {"content-type": "application/yaml"}
CONTAINER = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: go}
spec:
  triggers: {every-five-minutes: {type: cron, cronConfig: "*/5 * * * *"}}
  pipelines:
    build:
      trigger: every-five-minutes
      executor: {type: container, containerConfig: {image: golang}}
      tasks:
        vet: {steps: [{name: vet, cmd: go vet ./...}]}
"""
QUEUE = """\
name: inbox
triggers: [{id: jobs, type: queue}]
nodes:
  log: {type: std::log, config: {message: got one}}
edges:
  - {from: jobs, to: log}
"""
FLAKY = """\
name: flaky
nodes:
  work: {type: std::shell, config: {command: "exit 1"}}
settings:
  circuit_breaker_threshold: 1
  circuit_breaker_window: 1
"""


async def post(client: httpx.AsyncClient, text: str, filename: str) -> httpx.Response:
    params = {"filename": filename}
    return await client.post("/api/v1/workflows", content=text, params=params, headers=YAML)


async def test_a_container_executor_is_applied_now_that_it_runs(
    client: httpx.AsyncClient,
) -> None:
    response = await post(client, CONTAINER, "go.yaml")
    assert response.status_code == 201, response.text
    assert (await client.get("/api/v1/workflows/go")).status_code == 200


async def test_a_queue_trigger_is_refused_as_invalid(client: httpx.AsyncClient) -> None:
    response = await post(client, QUEUE, "inbox.yaml")
    assert response.status_code == 400
    assert response.json()["problems"] == [
        'inbox.yaml:2: triggers[0].type: trigger type "queue" is not supported yet; '
        "supported: webhook, cron, filesystem, manual"
    ]


async def pipeline_of(client: httpx.AsyncClient, name: str) -> dict[str, Any]:
    answer: dict[str, Any] = (await client.get(f"/api/v1/workflows/{name}")).json()
    return dict(answer["pipelines"][0])


async def test_get_shows_an_armed_breaker(client: httpx.AsyncClient) -> None:
    await apply(client, FLAKY)
    assert (await pipeline_of(client, "flaky"))["breaker"] == {
        "threshold": 1.0,
        "window": 1,
        "tripped": False,
        "reason": "",
        "tripped_at": None,
    }


async def test_get_says_why_a_breaker_paused_the_pipeline_and_resume_re_arms_it(
    client: httpx.AsyncClient,
) -> None:
    await apply(client, FLAKY)
    await wait_run(client, await trigger(client, "flaky", "flaky"))
    deadline = time.monotonic() + DEADLINE_S
    while (found := await pipeline_of(client, "flaky"))["mode"] != "paused":
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)
    breaker = found["breaker"]
    assert (breaker["tripped"], breaker["reason"]) == (
        True,
        "1 of its last 1 runs failed (circuit_breaker_threshold 1)",
    )
    assert isinstance(breaker["tripped_at"], float)
    resumed = await client.post("/api/v1/workflows/flaky/pipelines/flaky/resume")
    assert resumed.json()["mode"] == "active"
    after = await pipeline_of(client, "flaky")
    assert (after["mode"], after["breaker"]["tripped"], after["breaker"]["reason"]) == (
        "active",
        False,
        "",
    )
