"""No credential leaves the server, to any role: `GET /api/v1/workflows/{name}` hides
webhook secrets and tokens (and other credentials) in its params and in the definition
text, which stays valid YAML or JSON; a hidden text applied back is refused."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
import yaml
from fastapi import FastAPI

from tests.integration.api.conftest import JWT_SECRET, bearer, client_of
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store
from xene.store.base import ServerStore

YAML = {"content-type": "application/yaml"}
CREDENTIALS = ("hook-s3cr3t", "hook-t0ken", "ghp_pipelinetoken", "flow-s3cr3t")
MANIFEST = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: ci}
spec:
  triggers:
    push: {type: webhook, secret: hook-s3cr3t, token: "hook-t0ken"}  # from GitHub
  pipelines:
    build:
      trigger: push
      envs: {GITHUB_TOKEN: ghp_pipelinetoken, MODE: fast}
      tasks:
        t: {steps: [{name: s, type: shell, cmd: "echo $MODE"}]}
"""
FLOW = {
    "name": "orders",
    "triggers": [
        {"id": "in", "type": "webhook", "params": {"path": "/o", "secret": "flow-s3cr3t"}}
    ],
    "nodes": {"log": {"type": "std::log", "config": {"message": "hi"}}},
    "edges": [{"from": "in", "to": "log"}],
}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ServerStore]:
    store = await open_store(f"sqlite:///{tmp_path}/xene.db")
    yield store
    await store.close()


@pytest.fixture
async def app(store: ServerStore) -> FastAPI:
    """A server with auth where a manager applied MANIFEST (YAML) and FLOW (JSON)."""
    config = ServerConfig(auth=True, jwt_secret=JWT_SECRET)
    app = create_app(Runtime(store, config))
    async with client_of(app, **await bearer(store, "manager")) as manager:
        ci = await manager.post("/api/v1/workflows", content=MANIFEST, headers=YAML)
        flow = await manager.post(
            "/api/v1/workflows",
            content=json.dumps(FLOW, indent=2),
            params={"filename": "orders.json"},
            headers={"content-type": "application/json"},
        )
    assert (ci.status_code, flow.status_code) == (201, 201), (ci.text, flow.text)
    return app


async def shown(app: FastAPI, store: ServerStore, role: str, name: str) -> httpx.Response:
    async with client_of(app, **await bearer(store, role)) as client:
        answer = await client.get(f"/api/v1/workflows/{name}")
    assert answer.status_code == 200, answer.text
    return answer


@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
async def test_no_role_sees_a_credential_of_a_workflow(
    app: FastAPI, store: ServerStore, role: str
) -> None:
    answers = [(await shown(app, store, role, name)).text for name in ("ci", "orders")]
    assert [c for c in CREDENTIALS if any(c in answer for answer in answers)] == []


async def test_trigger_params_show_stars_for_secrets_and_tokens(
    app: FastAPI, store: ServerStore
) -> None:
    pipeline = (await shown(app, store, "viewer", "ci")).json()["pipelines"][0]
    assert pipeline["triggers"][0]["params"] == {"secret": "***", "token": "***"}


async def test_the_yaml_text_stays_yaml_with_its_comments(app: FastAPI, store: ServerStore) -> None:
    text = (await shown(app, store, "viewer", "ci")).json()["text"]
    data = yaml.safe_load(text)
    assert data["spec"]["triggers"]["push"] == {"type": "webhook", "secret": "***", "token": "***"}
    assert data["spec"]["pipelines"]["build"]["envs"] == {"GITHUB_TOKEN": "***", "MODE": "fast"}
    assert "# from GitHub" in text


async def test_the_json_text_stays_json(app: FastAPI, store: ServerStore) -> None:
    text = (await shown(app, store, "viewer", "orders")).json()["text"]
    assert json.loads(text)["triggers"][0]["params"] == {"path": "/o", "secret": "***"}


async def test_a_hidden_text_applied_back_is_refused_and_changes_nothing(
    app: FastAPI, store: ServerStore
) -> None:
    text = (await shown(app, store, "manager", "ci")).json()["text"]
    async with client_of(app, **await bearer(store, "manager")) as manager:
        refused = await manager.post("/api/v1/workflows", content=text, headers=YAML)
    assert refused.status_code == 400
    problems = refused.json()["problems"]
    assert problems[0].startswith("workflow.yaml:6: spec.triggers.push.secret: ")
    assert "how Xene shows a hidden value" in problems[0]
    applied = await store.get_workflow("ci")
    assert applied is not None
    assert (applied.version, applied.text) == (1, MANIFEST)


async def test_a_viewer_cannot_start_runs_through_the_webhook_it_read(
    app: FastAPI, store: ServerStore
) -> None:
    """What the viewer read (`***`) signs nothing and opens nothing."""
    text = (await shown(app, store, "viewer", "ci")).json()["text"]
    push = yaml.safe_load(text)["spec"]["triggers"]["push"]
    body = json.dumps({"at": time.time()}).encode()
    mac = hmac.new(push["secret"].encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "content-type": "application/json",
        "X-Hub-Signature-256": f"sha256={mac}",
        "X-Xene-Token": push["token"],
    }
    async with client_of(app) as anyone:
        answer = await anyone.post("/api/v1/hooks/ci/push", content=body, headers=headers)
    assert answer.status_code == 401
    assert "does not match" in answer.json()["error"]
