"""Back-pressure through the API: past `max_queued` waiting runs, webhooks and the trigger
route answer 503 with Retry-After, a cron or filesystem fire is skipped and shown, and
every run accepted before is executed."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.integration.api.conftest import apply, client_of, shell_workflow, trigger, wait_run
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store

BOUND = 2


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    """A server whose agent is not started yet: what it accepts stays queued."""
    store = await open_store(f"sqlite:///{tmp_path}/xene.db")
    runtime = Runtime(store, ServerConfig(auth=False, poll_s=0.2, max_queued=BOUND))
    try:
        yield runtime
    finally:
        await runtime.stop(0)
        await store.close()


@pytest.fixture
async def client(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(create_app(runtime)) as client:
        yield client


async def full(client: httpx.AsyncClient, trigger_type: str = "manual") -> list[str]:
    """Apply workflow `wf` (pipeline `main`, trigger `go`) and queue BOUND runs of it."""
    await apply(client, shell_workflow("wf", "true", trigger=trigger_type))
    return [await trigger(client, "wf", "main") for _ in range(BOUND)]


async def test_the_trigger_route_answers_503_past_the_bound(client: httpx.AsyncClient) -> None:
    await full(client)
    response = await client.post("/api/v1/workflows/wf/pipelines/main/runs")
    assert response.status_code == 503


async def test_the_refusal_says_when_to_retry_and_how_to_raise_the_bound(
    client: httpx.AsyncClient,
) -> None:
    await full(client)
    response = await client.post("/api/v1/workflows/wf/pipelines/main/runs")
    assert response.headers["retry-after"] == "2"
    body = response.json()
    assert (body["queued"], body["max_queued"]) == (BOUND, BOUND)
    assert "raise the bound with `xene serve --max-queued N`" in body["error"]


async def test_a_refused_trigger_creates_no_run(client: httpx.AsyncClient) -> None:
    await full(client)
    await client.post("/api/v1/workflows/wf/pipelines/main/runs")
    assert len((await client.get("/api/v1/runs")).json()["runs"]) == BOUND


async def test_a_webhook_answers_503_past_the_bound(client: httpx.AsyncClient) -> None:
    await full(client, "webhook")
    response = await client.post("/api/v1/hooks/wf/go", json={"n": 1})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "2"


async def test_every_accepted_run_is_executed(client: httpx.AsyncClient, runtime: Runtime) -> None:
    accepted = await full(client)
    await client.post("/api/v1/workflows/wf/pipelines/main/runs")
    await runtime.start()
    for run_id in accepted:
        assert (await wait_run(client, run_id))["state"] == "Success"


async def test_a_fire_past_the_bound_is_skipped_and_logged(
    client: httpx.AsyncClient, runtime: Runtime, caplog: pytest.LogCaptureFixture
) -> None:
    await full(client)
    with caplog.at_level(logging.WARNING, logger="xene.server"):
        assert await runtime.fire("wf", "go", {}, "cron:wf/go/2024-05-01T00:00:00Z") == []
    (record,) = [r for r in caplog.records if getattr(r, "action", "") == "trigger.skipped"]
    assert record.levelno == logging.WARNING
    assert "the server's queue is full" in record.getMessage()


async def test_the_workflow_view_shows_the_last_skipped_fire(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await full(client)
    await runtime.fire("wf", "go", {}, None)
    await runtime.fire("wf", "go", {}, None)
    workflow = (await client.get("/api/v1/workflows/wf")).json()
    (skipped,) = [t["skipped"] for p in workflow["pipelines"] for t in p["triggers"]]
    assert skipped["count"] == 2
    assert skipped["reason"].startswith("the server's queue is full: 2 runs wait")


async def test_the_openapi_document_names_the_503(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    for path in ("/api/v1/workflows/{workflow}/pipelines/{pipeline}/runs",
                 "/api/v1/hooks/{workflow}/{trigger}"):  # fmt: skip
        answer = paths[path]["post"]["responses"]["503"]
        assert "Retry-After" in answer["headers"]
