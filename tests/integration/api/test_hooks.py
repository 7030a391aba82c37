"""Webhooks through the API: signatures, tokens, duplicate deliveries, form bodies."""

from __future__ import annotations

import hashlib
import hmac
import json

import httpx
import pytest

from tests.integration.api.conftest import apply, shell_workflow, wait_run
from xene.server.runtime import Runtime

SECRET = "It's a Secret to Everybody"


def signed(body: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def hook_workflow(name: str, params: str) -> str:
    text = shell_workflow(name, "echo got", trigger="webhook")
    return text.replace("go: {type: webhook}", f"go: {{type: webhook, {params}}}")


FLOW = """\
name: orders
triggers:
  - {id: incoming, type: webhook, params: {path: /orders/new}}
  - {id: nightly, type: cron, params: {schedule: "0 2 * * *"}}
nodes:
  receive: {type: std::log, config: {message: "order ${input.id}"}}
edges:
  - {from: incoming, to: receive}
  - {from: nightly, to: receive}
"""


async def test_a_signed_delivery_starts_a_run_and_a_bad_signature_is_401(
    client: httpx.AsyncClient,
) -> None:
    await apply(client, hook_workflow("gh", f"secret: {SECRET!r}"))
    body = json.dumps({"ref": "main"}).encode()
    headers = {"content-type": "application/json", "X-Hub-Signature-256": signed(body)}
    response = await client.post("/api/v1/hooks/gh/go", content=body, headers=headers)
    assert response.status_code == 202, response.text
    (run_id,) = response.json()["runs"]
    run = await wait_run(client, run_id)
    assert (run["state"], run["input"]) == ("Success", {"ref": "main"})

    forged = {**headers, "X-Hub-Signature-256": signed(body, "guess")}
    bad = await client.post("/api/v1/hooks/gh/go", content=body, headers=forged)
    assert bad.status_code == 401
    assert "does not match" in bad.json()["error"]
    unsigned = await client.post("/api/v1/hooks/gh/go", json={"ref": "main"})
    assert unsigned.status_code == 401
    assert "missing" in unsigned.json()["error"]
    assert len((await client.get("/api/v1/runs")).json()["runs"]) == 1


async def test_the_secret_may_come_from_the_environment(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GH_HOOK_SECRET", SECRET)
    await apply(client, hook_workflow("gh", "secret_env: GH_HOOK_SECRET"))
    body = b"{}"
    headers = {"content-type": "application/json", "X-Hub-Signature-256": signed(body)}
    response = await client.post("/api/v1/hooks/gh/go", content=body, headers=headers)
    assert response.status_code == 202


async def test_a_duplicate_delivery_creates_one_run(client: httpx.AsyncClient) -> None:
    await apply(client, hook_workflow("gh", f"secret: {SECRET!r}"))
    body = b'{"n": 1}'
    headers = {
        "content-type": "application/json",
        "X-Hub-Signature-256": signed(body),
        "X-GitHub-Delivery": "72d3162e-cc78-11e3-81ab-4c9367dc0958",
    }
    first = await client.post("/api/v1/hooks/gh/go", content=body, headers=headers)
    second = await client.post("/api/v1/hooks/gh/go", content=body, headers=headers)
    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json() == {"runs": first.json()["runs"], "duplicate": False}
    assert second.json() == {"runs": first.json()["runs"], "duplicate": True}
    assert len((await client.get("/api/v1/runs")).json()["runs"]) == 1


async def test_a_token_in_a_header_or_the_query(client: httpx.AsyncClient) -> None:
    await apply(client, hook_workflow("tok", "token: abc123"))
    by_header = await client.post("/api/v1/hooks/tok/go", headers={"X-Xene-Token": "abc123"})
    assert by_header.status_code == 202
    by_query = await client.post("/api/v1/hooks/tok/go", params={"token": "abc123"})
    assert by_query.status_code == 202
    wrong = await client.post("/api/v1/hooks/tok/go", params={"token": "abc124"})
    assert wrong.status_code == 401


async def test_a_form_body_becomes_the_input(client: httpx.AsyncClient) -> None:
    await apply(client, hook_workflow("form", "token: t"))
    response = await client.post(
        "/api/v1/hooks/form/go",
        content="user=ada&tag=a&tag=b",
        headers={"content-type": "application/x-www-form-urlencoded", "X-Xene-Token": "t"},
    )
    (run_id,) = response.json()["runs"]
    run = await wait_run(client, run_id)
    assert run["input"] == {"user": "ada", "tag": ["a", "b"]}


async def test_bad_json_is_400_and_creates_nothing(client: httpx.AsyncClient) -> None:
    await apply(client, hook_workflow("tok", "token: t"))
    response = await client.post(
        "/api/v1/hooks/tok/go",
        content="{not json",
        headers={"content-type": "application/json", "X-Xene-Token": "t"},
    )
    assert response.status_code == 400
    assert "not valid JSON" in response.json()["error"]
    assert (await client.get("/api/v1/runs")).json()["runs"] == []


async def test_flow_triggers_answer_at_their_path_and_only_webhooks_answer(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await apply(client, FLOW)
    response = await client.post("/api/v1/hooks/orders/path/orders/new", json={"id": 7})
    assert response.status_code == 202
    (run_id,) = response.json()["runs"]
    assert (await wait_run(client, run_id))["input"] == {"id": 7}
    by_name = await client.post("/api/v1/hooks/orders/incoming", json={"id": 8})
    assert by_name.status_code == 202
    cron = await client.post("/api/v1/hooks/orders/nightly", json={})
    assert cron.status_code == 404
    assert "cron" in cron.json()["error"]
    assert (await client.post("/api/v1/hooks/orders/path/elsewhere")).status_code == 404
    assert (await client.post("/api/v1/hooks/nope/incoming")).status_code == 404
    metrics = (await client.get("/metrics")).text
    assert "xene_webhook_latency_seconds_count 2.0" in metrics
    assert 'xene_trigger_fires_total{type="webhook"} 2.0' in metrics


async def test_a_paused_pipeline_drops_deliveries(client: httpx.AsyncClient) -> None:
    await apply(client, hook_workflow("tok", "token: t"))
    await client.post("/api/v1/workflows/tok/pipelines/main/pause")
    response = await client.post("/api/v1/hooks/tok/go", headers={"X-Xene-Token": "t"})
    assert response.status_code == 202
    assert response.json() == {"runs": [], "duplicate": False}
