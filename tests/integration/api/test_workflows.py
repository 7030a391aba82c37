"""Workflows through the API: apply, list, get, delete; pipeline modes; manual triggers."""

from __future__ import annotations

import json

import httpx

from tests.integration.api.conftest import apply, shell_workflow, trigger, wait_run

HELLO = shell_workflow("hello", "echo hello")


async def test_apply_creates_then_answers_unchanged_then_updates(
    client: httpx.AsyncClient,
) -> None:
    headers = {"content-type": "application/yaml"}
    first = await client.post("/api/v1/workflows", content=HELLO, headers=headers)
    assert first.status_code == 201
    assert first.json() == {"name": "hello", "version": 1, "changed": True}
    again = await client.post("/api/v1/workflows", content=HELLO, headers=headers)
    assert again.status_code == 200
    assert again.json() == {"name": "hello", "version": 1, "changed": False}
    changed = shell_workflow("hello", "echo bonjour")
    updated = await client.post("/api/v1/workflows", content=changed, headers=headers)
    assert updated.status_code == 200
    assert updated.json() == {"name": "hello", "version": 2, "changed": True}


async def test_apply_takes_json_and_reports_it_under_a_json_file_name(
    client: httpx.AsyncClient,
) -> None:
    manifest = {"kind": "Workflow", "apiVersion": "v1alpha1", "metadata": {"name": "j"}}
    response = await client.post("/api/v1/workflows", json=manifest)
    assert response.status_code == 400
    assert all(p.startswith("workflow.json:") for p in response.json()["problems"])


async def test_an_invalid_definition_is_400_with_located_problems(
    client: httpx.AsyncClient,
) -> None:
    text = HELLO.replace("type: shell", "type: shel")
    response = await client.post(
        "/api/v1/workflows",
        content=text,
        params={"filename": "ci.yaml"},
        headers={"content-type": "application/yaml"},
    )
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "invalid definition"
    assert body["problems"]
    assert body["problems"][0].startswith("ci.yaml:")
    assert "steps" in body["problems"][0]
    assert (await client.get("/api/v1/workflows/hello")).status_code == 404


async def test_apply_refuses_other_content_types_and_empty_or_binary_bodies(
    client: httpx.AsyncClient,
) -> None:
    xml = await client.post(
        "/api/v1/workflows", content="<a/>", headers={"content-type": "application/xml"}
    )
    assert xml.status_code == 415
    assert "application/yaml" in xml.json()["error"]
    empty = await client.post("/api/v1/workflows", content=" ")
    assert empty.status_code == 400
    binary = await client.post("/api/v1/workflows", content=b"\xff\xfe")
    assert binary.status_code == 400


async def test_list_get_and_delete(client: httpx.AsyncClient) -> None:
    await apply(client, HELLO)
    listed = (await client.get("/api/v1/workflows")).json()["workflows"]
    assert [(w["name"], w["version"], w["pipelines"]) for w in listed] == [("hello", 1, ["main"])]
    got = (await client.get("/api/v1/workflows/hello")).json()
    assert got["text"] == HELLO
    assert got["format"] == "manifest"
    assert got["pipelines"] == [
        {
            "name": "main",
            "description": "",
            "mode": "active",
            "triggers": [
                {"name": "go", "type": "manual", "enabled": True, "params": {}, "skipped": None}
            ],
            "breaker": None,
        }
    ]
    deleted = await client.delete("/api/v1/workflows/hello")
    assert deleted.status_code == 200
    assert (await client.get("/api/v1/workflows/hello")).status_code == 404
    again = await client.delete("/api/v1/workflows/hello")
    assert again.status_code == 404
    assert "hello" in again.json()["error"]


async def test_trigger_secrets_are_masked_in_the_workflow(client: httpx.AsyncClient) -> None:
    text = shell_workflow("hook", "true", trigger="webhook").replace(
        "go: {type: webhook}", "go: {type: webhook, secret: s3cret, secret_env: HOOK_SECRET}"
    )
    await apply(client, text)
    trig = (await client.get("/api/v1/workflows/hook")).json()["pipelines"][0]["triggers"][0]
    assert trig["params"] == {"secret": "***", "secret_env": "HOOK_SECRET"}


async def test_a_paused_pipeline_refuses_manual_runs_until_resumed(
    client: httpx.AsyncClient,
) -> None:
    await apply(client, HELLO)
    paused = await client.post("/api/v1/workflows/hello/pipelines/main/pause")
    assert paused.json() == {"workflow": "hello", "pipeline": "main", "mode": "paused"}
    got = (await client.get("/api/v1/workflows/hello")).json()
    assert got["pipelines"][0]["mode"] == "paused"
    refused = await client.post("/api/v1/workflows/hello/pipelines/main/runs")
    assert refused.status_code == 409
    assert "paused" in refused.json()["error"]
    resumed = await client.post("/api/v1/workflows/hello/pipelines/main/resume")
    assert resumed.json()["mode"] == "active"
    run = await wait_run(client, await trigger(client, "hello", "main"))
    assert run["state"] == "Success"


async def test_modes_of_unknown_pipelines_and_actions(client: httpx.AsyncClient) -> None:
    await apply(client, HELLO)
    unknown = await client.post("/api/v1/workflows/hello/pipelines/nope/drain")
    assert unknown.status_code == 404
    assert "main" in unknown.json()["error"]
    bad = await client.post("/api/v1/workflows/hello/pipelines/main/explode")
    assert bad.status_code == 422
    assert bad.json()["problems"][0].startswith("path.action:")


async def test_an_idempotency_key_names_one_run(client: httpx.AsyncClient) -> None:
    await apply(client, HELLO)
    url = "/api/v1/workflows/hello/pipelines/main/runs"
    headers = {"Idempotency-Key": "deploy-42"}
    first = await client.post(url, json={"n": 1}, headers=headers)
    second = await client.post(url, json={"n": 2}, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["run_id"] == second.json()["run_id"]
    assert second.json()["created"] is False
    run = await wait_run(client, first.json()["run_id"])
    assert run["input"] == {"n": 1}
    assert run["idempotency_key"] == "deploy-42"


async def test_trigger_input_must_be_json(client: httpx.AsyncClient) -> None:
    await apply(client, HELLO)
    url = "/api/v1/workflows/hello/pipelines/main/runs"
    bad = await client.post(url, content="{", headers={"content-type": "application/json"})
    assert bad.status_code == 400
    nan = await client.post(url, content="NaN", headers={"content-type": "application/json"})
    assert nan.status_code == 400
    text = await client.post(url, content="hi", headers={"content-type": "text/plain"})
    assert text.status_code == 415
    unknown = await client.post("/api/v1/workflows/nope/pipelines/main/runs", json=1)
    assert unknown.status_code == 404
    assert json.loads(unknown.text)["error"].startswith("no workflow")
