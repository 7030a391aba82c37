"""The API in process: a runtime over SQLite whose built-in agent really executes runs,
served through httpx's ASGI transport (no sockets)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from xene.core.states import State
from xene.server import tokens
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store
from xene.store.tokens import TokenStore

FINAL = tuple(state.value for state in State if state.finished)

DEADLINE_S = 30.0
JWT_SECRET = "test-secret-of-thirty-two-bytes!"


def client_of(app: FastAPI, **headers: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://x", headers=headers
    )


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    store = await open_store(f"sqlite:///{tmp_path}/xene.db")
    runtime = Runtime(store, ServerConfig(auth=False, poll_s=0.2))
    await runtime.start()
    try:
        yield runtime
    finally:
        await runtime.stop(0)
        await store.close()


@pytest.fixture
def app(runtime: Runtime) -> FastAPI:
    app = create_app(runtime)
    app.state.log_poll_s = 0.05
    return app


@pytest.fixture
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(app) as client:
        yield client


async def bearer(
    store: TokenStore,
    role: str,
    *,
    secret: str = JWT_SECRET,
    lifetime_s: float | None = 3600.0,
    now: float | None = None,
) -> dict[str, str]:
    """The Authorization header of a new token of `role`, recorded in `store`."""
    wanted = tokens.NewToken(role, f"a-{role}", lifetime_s, "tests")
    issued = await tokens.issue(store, secret, wanted, time.time() if now is None else now)
    return {"authorization": f"Bearer {issued.token}"}


async def apply(client: httpx.AsyncClient, text: str, **params: str) -> dict[str, Any]:
    response = await client.post(
        "/api/v1/workflows",
        content=text,
        params=params,
        headers={"content-type": "application/yaml"},
    )
    assert response.status_code in (200, 201), response.text
    result: dict[str, Any] = response.json()
    return result


async def trigger(client: httpx.AsyncClient, workflow: str, pipeline: str, data: Any = None) -> str:
    response = await client.post(
        f"/api/v1/workflows/{workflow}/pipelines/{pipeline}/runs", json=data
    )
    assert response.status_code == 201, response.text
    run_id: str = response.json()["run_id"]
    return run_id


async def wait_run(
    client: httpx.AsyncClient, run_id: str, states: tuple[str, ...] = FINAL
) -> dict[str, Any]:
    """The run once it is in one of `states` (final ones by default); fails after a
    bounded deadline."""
    deadline = time.monotonic() + DEADLINE_S
    while True:
        response = await client.get(f"/api/v1/runs/{run_id}")
        assert response.status_code == 200, response.text
        run: dict[str, Any] = response.json()
        if run["state"] in states:
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run['state']}: {run}"
        await asyncio.sleep(0.05)


def shell_workflow(name: str, *commands: str, trigger: str = "manual") -> str:
    """A manifest with one pipeline `main` of one task `work` running `commands`."""
    steps = "\n".join(
        f"            - {{name: s{i}, type: shell, cmd: {cmd!r}}}" for i, cmd in enumerate(commands)
    )
    return f"""\
kind: Workflow
apiVersion: v1alpha1
metadata: {{name: {name}}}
spec:
  triggers:
    go: {{type: {trigger}}}
  pipelines:
    main:
      trigger: go
      tasks:
        work:
          steps:
{steps}
"""
