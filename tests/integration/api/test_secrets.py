"""Secrets through the API: admins set and delete, anyone with a token lists names, no
route returns a value to any role, applying a workflow naming an unknown secret is a
located 400, and a webhook may check signatures with a stored secret."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.integration.api.conftest import apply, client_of, shell_workflow, trigger, wait_run
from tests.integration.api.conftest import bearer as recorded_bearer
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store

JWT = "test-secret-of-thirty-two-bytes!"
VALUE = "sk-live-7c1f9a2e4b8d"
HOOK = "hook-signing-value-42"


async def bearer(app: FastAPI, role: str) -> dict[str, str]:
    """A token of `role` recorded in the app's store (a server accepts no other)."""
    return await recorded_bearer(app.state.runtime.store, role, secret=JWT)


@pytest.fixture
async def guarded(tmp_path: Path) -> AsyncIterator[FastAPI]:
    """An app with auth on, over a runtime that is not started."""
    store = await open_store(f"sqlite:///{tmp_path}/guarded.db")
    yield create_app(Runtime(store, ServerConfig(auth=True, jwt_secret=JWT)))
    await store.close()


async def put(client: httpx.AsyncClient, name: str, value: str) -> httpx.Response:
    return await client.put(f"/api/v1/secrets/{name}", json={"value": value})


async def test_an_admin_sets_a_secret_and_the_answer_holds_no_value(guarded: FastAPI) -> None:
    async with client_of(guarded, **(await bearer(guarded, "admin"))) as admin:
        created = await put(admin, "API_KEY", VALUE)
        replaced = await put(admin, "API_KEY", VALUE + "2")
        listed = await admin.get("/api/v1/secrets")
    assert (created.status_code, created.json()) == (201, {"name": "API_KEY", "created": True})
    assert (replaced.status_code, replaced.json()["created"]) == (200, False)
    (secret,) = listed.json()["secrets"]
    assert (secret["name"], secret["set_by"]) == ("API_KEY", "a-admin")
    assert VALUE not in created.text + replaced.text + listed.text


@pytest.mark.parametrize("role", ["viewer", "manager"])
async def test_viewers_and_managers_cannot_write_secrets_but_may_list_names(
    guarded: FastAPI, role: str
) -> None:
    async with client_of(guarded, **(await bearer(guarded, "admin"))) as admin:
        await put(admin, "API_KEY", VALUE)
    async with client_of(guarded, **(await bearer(guarded, role))) as client:
        refused_set = await put(client, "API_KEY", "mine now")
        refused_delete = await client.delete("/api/v1/secrets/API_KEY")
        listed = await client.get("/api/v1/secrets")
    assert (refused_set.status_code, refused_delete.status_code) == (403, 403)
    assert "needs the admin role" in refused_set.json()["error"]
    assert [s["name"] for s in listed.json()["secrets"]] == ["API_KEY"]
    assert VALUE not in listed.text


async def test_no_token_reads_even_the_names(guarded: FastAPI) -> None:
    async with client_of(guarded) as anonymous:
        assert (await anonymous.get("/api/v1/secrets")).status_code == 401


async def test_an_admin_deletes_a_secret_once(guarded: FastAPI) -> None:
    async with client_of(guarded, **(await bearer(guarded, "admin"))) as admin:
        await put(admin, "API_KEY", VALUE)
        assert (await admin.delete("/api/v1/secrets/API_KEY")).status_code == 204
        again = await admin.delete("/api/v1/secrets/API_KEY")
        assert again.status_code == 404
        assert 'unknown secret "API_KEY"' in again.json()["error"]
        assert (await admin.get("/api/v1/secrets")).json() == {"secrets": []}


async def test_a_bad_name_or_an_empty_value_is_422_and_sets_nothing(guarded: FastAPI) -> None:
    """Both are refused by the route's documented schema (name pattern, value length)."""
    async with client_of(guarded, **(await bearer(guarded, "admin"))) as admin:
        bad_name = await put(admin, "bad-name", VALUE)
        own = await put(admin, "XENE_KEY", VALUE)
        empty = await put(admin, "EMPTY", "")
        listed = await admin.get("/api/v1/secrets")
    assert (bad_name.status_code, own.status_code, empty.status_code) == (422, 422, 422)
    assert "name" in bad_name.json()["problems"][0]
    assert "value" in empty.json()["problems"][0]
    assert listed.json() == {"secrets": []}


def echo_workflow(name: str) -> str:
    text = shell_workflow(
        name, 'echo "key=$API_KEY"; echo "leaked=$API_KEY" >> $XENE_OUTPUT; exit 3'
    )
    return text.replace("        work:\n", "        work:\n          secrets: [API_KEY]\n")


async def test_no_route_returns_a_value_even_after_a_run_used_it(
    client: httpx.AsyncClient,
) -> None:
    await put(client, "API_KEY", VALUE)
    await apply(client, echo_workflow("uses"))
    run_id = await trigger(client, "uses", "main")
    run = await wait_run(client, run_id)
    assert run["state"] == "Error"
    answers = [
        await client.get(path)
        for path in (
            f"/api/v1/runs/{run_id}",
            f"/api/v1/runs/{run_id}/logs",
            "/api/v1/runs",
            "/api/v1/workflows/uses",
            "/api/v1/secrets",
        )
    ]
    assert all(answer.status_code == 200 for answer in answers)
    assert "key=***" in answers[1].text
    assert all(VALUE not in answer.text for answer in answers)


async def test_applying_a_workflow_naming_an_unknown_secret_is_a_located_400(
    client: httpx.AsyncClient,
) -> None:
    response = await client.post(
        "/api/v1/workflows",
        content=echo_workflow("uses"),
        headers={"content-type": "application/yaml"},
        params={"filename": "uses.yaml"},
    )
    assert response.status_code == 400
    assert response.json()["problems"] == [
        'uses.yaml:12: spec.pipelines.main.tasks.work.secrets[0]: unknown secret "API_KEY" '
        "in this server's store: set it with `xene secret set API_KEY`"
    ]
    assert (await client.get("/api/v1/workflows")).json()["workflows"] == []


def signed(body: bytes, secret: str) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


async def test_a_webhook_checks_signatures_with_the_stored_secret_it_names(
    client: httpx.AsyncClient, runtime: Runtime
) -> None:
    await put(client, "HOOK_SECRET", HOOK)
    text = shell_workflow("gh", "echo got", trigger="webhook").replace(
        "go: {type: webhook}", "go: {type: webhook, secret: '${secrets.HOOK_SECRET}'}"
    )
    await apply(client, text)
    body = b'{"ref": "main"}'
    good = {"content-type": "application/json", "X-Hub-Signature-256": signed(body, HOOK)}
    literal = {**good, "X-Hub-Signature-256": signed(body, "${secrets.HOOK_SECRET}")}
    assert (await client.post("/api/v1/hooks/gh/go", content=body, headers=good)).status_code == 202
    forged = await client.post("/api/v1/hooks/gh/go", content=body, headers=literal)
    assert forged.status_code == 401
    shown = await client.get("/api/v1/workflows/gh")
    assert HOOK not in shown.text


@settings(max_examples=2000, deadline=None)
@given(st.text(alphabet="xXeEnN_Za9-", max_size=8))
def test_the_routes_name_pattern_accepts_exactly_the_names_the_vault_accepts(name: str) -> None:
    """The OpenAPI document's pattern (no look-ahead) says what `name_problem` says."""
    import re

    from xene.server.api.secrets import NAME_PATTERN
    from xene.spec.secret_refs import name_problem

    assert (re.match(NAME_PATTERN, name) is not None) == (name_problem(name) is None)
