"""Tokens and roles, body size and rate limits, probes, metrics and error answers."""

from __future__ import annotations

import logging
import stat
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.integration.api.conftest import JWT_SECRET, bearer, client_of, shell_workflow
from xene.server import auth, tokens
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store
from xene.store.base import ServerStore

SECRET = JWT_SECRET
YAML = {"content-type": "application/yaml"}

AppFactory = Callable[..., FastAPI]


class Ticks:
    """A monotonic clock that moves only when told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ServerStore]:
    store = await open_store(f"sqlite:///{tmp_path}/xene.db")
    yield store
    await store.close()


@pytest.fixture
def make_app(store: ServerStore) -> AppFactory:
    """An app over a runtime that is not started (nothing here needs runs executed)."""

    def make(clock: Callable[[], float] | None = None, **config: Any) -> FastAPI:
        settings = {"auth": True, "jwt_secret": SECRET, **config}
        return create_app(Runtime(store, ServerConfig(**settings)), clock=clock)

    return make


async def test_health_needs_no_token_and_ready_says_503_until_started(
    make_app: AppFactory,
) -> None:
    async with client_of(make_app()) as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        ready = await client.get("/ready")
        assert (ready.status_code, ready.json()) == (503, {"status": "not ready"})


async def test_ready_is_200_once_the_runtime_runs(client: httpx.AsyncClient) -> None:
    response = await client.get("/ready")
    assert (response.status_code, response.json()) == (200, {"status": "ready"})


@pytest.mark.parametrize(
    ("headers", "says"),
    [
        ({}, "bearer token is required"),
        ({"authorization": "Basic YTpi"}, "must be 'Bearer <token>'"),
        ({"authorization": "Bearer not.a.jwt"}, "token is invalid"),
    ],
)
async def test_missing_or_bad_tokens_are_401_saying_why(
    make_app: AppFactory, headers: dict[str, str], says: str
) -> None:
    async with client_of(make_app(), **headers) as client:
        response = await client.get("/api/v1/workflows")
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert says in response.json()["error"]


async def test_a_token_signed_with_another_secret_is_401_saying_so(
    make_app: AppFactory, store: ServerStore
) -> None:
    headers = await bearer(store, "admin", secret="another-secret-of-32-bytes-long!")
    async with client_of(make_app(), **headers) as client:
        response = await client.get("/api/v1/workflows")
    assert response.status_code == 401
    assert "signature is invalid" in response.json()["error"]


async def test_an_expired_token_is_401_saying_so(make_app: AppFactory, store: ServerStore) -> None:
    headers = await bearer(store, "admin", lifetime_s=60, now=time.time() - 120)
    async with client_of(make_app(), **headers) as client:
        response = await client.get("/api/v1/runs")
    assert response.status_code == 401
    assert "expired" in response.json()["error"]


async def test_roles_viewer_reads_manager_writes(make_app: AppFactory, store: ServerStore) -> None:
    app = make_app()
    hello = shell_workflow("hello", "true")
    async with client_of(app, **await bearer(store, "viewer")) as viewer:
        assert (await viewer.get("/api/v1/workflows")).status_code == 200
        assert (await viewer.get("/metrics")).status_code == 200
        refused = await viewer.post("/api/v1/workflows", content=hello, headers=YAML)
        assert refused.status_code == 403
        assert "manager" in refused.json()["error"]
    async with client_of(app, **await bearer(store, "manager")) as manager:
        applied = await manager.post("/api/v1/workflows", content=hello, headers=YAML)
        assert applied.status_code == 201
        ran = await manager.post("/api/v1/workflows/hello/pipelines/main/runs")
        assert ran.status_code == 201
        cancelled = await manager.post(f"/api/v1/runs/{ran.json()['run_id']}/cancel")
        assert cancelled.status_code == 202
    async with client_of(app, **await bearer(store, "admin")) as admin:
        assert (await admin.delete("/api/v1/workflows/hello")).status_code == 200
    async with client_of(app) as anonymous:
        assert (await anonymous.get("/metrics")).status_code == 401


async def test_a_webhook_without_secret_or_token_needs_a_manager_token(
    make_app: AppFactory, store: ServerStore
) -> None:
    app = make_app()
    text = shell_workflow("open", "true", trigger="webhook")
    async with client_of(app, **await bearer(store, "manager")) as manager:
        await manager.post("/api/v1/workflows", content=text, headers=YAML)
        assert (await manager.post("/api/v1/hooks/open/go", json={})).status_code == 202
    async with client_of(app) as anonymous:
        assert (await anonymous.post("/api/v1/hooks/open/go", json={})).status_code == 401
    async with client_of(app, **await bearer(store, "viewer")) as viewer:
        assert (await viewer.post("/api/v1/hooks/open/go", json={})).status_code == 403


async def test_the_secret_file_is_created_once_with_mode_0600(
    store: ServerStore, xene_home: Path
) -> None:
    first = auth.Authenticator(ServerConfig(), store)
    path = xene_home / "jwt-secret"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert auth.Authenticator(ServerConfig(), store).secret == first.secret
    app = create_app(Runtime(store, ServerConfig()))
    async with client_of(app, **await bearer(store, "viewer", secret=first.secret)) as client:
        assert (await client.get("/api/v1/runs")).status_code == 200


async def test_issue_refuses_unknown_roles(store: ServerStore) -> None:
    with pytest.raises(ValueError, match="unknown role"):
        await tokens.issue(store, SECRET, tokens.NewToken("root", "me", 60, "t"), time.time())
    assert await store.list_tokens() == []


async def test_auth_off_makes_everyone_admin_and_warns(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, "xene.server.auth"):
        app = make_app(auth=False)
    assert [r.getMessage() for r in caplog.records] == [auth.AUTH_OFF_WARNING]
    async with client_of(app) as client:
        hello = shell_workflow("hello", "true")
        applied = await client.post("/api/v1/workflows", content=hello, headers=YAML)
        assert applied.status_code == 201


async def test_bodies_over_the_limit_are_413(
    make_app: AppFactory, caplog: pytest.LogCaptureFixture
) -> None:
    async with client_of(make_app(auth=False, max_body_bytes=100)) as client:
        declared = await client.post("/api/v1/workflows", content="x" * 101, headers=YAML)
        assert declared.status_code == 413
        assert "100 bytes" in declared.json()["error"]

        async def chunks() -> AsyncIterator[bytes]:
            for _ in range(5):
                yield b"y" * 30

        streamed = await client.post(
            "/api/v1/workflows/w/pipelines/p/runs",
            content=chunks(),
            headers={"content-type": "application/json"},
        )
        assert streamed.status_code == 413
        assert "100 bytes" in streamed.json()["error"]
        assert [r for r in caplog.records if r.levelno >= logging.ERROR] == []  # no traceback
        small = await client.post("/api/v1/workflows", content="x" * 100, headers=YAML)
        assert small.status_code == 400  # read whole, and found invalid


async def test_too_many_requests_are_429_with_retry_after(make_app: AppFactory) -> None:
    ticks = Ticks()
    app = make_app(clock=ticks, auth=False, rate_per_s=1.0, rate_burst=2)
    async with client_of(app) as client:
        assert [(await client.get("/api/v1/runs")).status_code for _ in range(2)] == [200, 200]
        limited = await client.get("/api/v1/runs")
        assert limited.status_code == 429
        assert limited.headers["retry-after"] == "1"
        assert "too many requests" in limited.json()["error"]
        assert (await client.get("/health")).status_code == 200  # probes are never limited
        ticks.now += 1.0
        assert (await client.get("/api/v1/runs")).status_code == 200
    async with client_of(app, authorization="Bearer other") as other:
        assert (await other.get("/api/v1/runs")).status_code == 200  # a bucket of its own


async def test_metrics_are_prometheus_text(make_app: AppFactory) -> None:
    async with client_of(make_app(auth=False)) as client:
        response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    for name in ("xene_runs_started", "xene_queue_depth", "xene_webhook_latency_seconds"):
        assert f"# TYPE {name}" in response.text


async def test_unknown_routes_and_internal_errors_answer_json(
    make_app: AppFactory, store: ServerStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object) -> None:
        raise RuntimeError("disk on fire")

    async with client_of(make_app(auth=False)) as client:
        missing = await client.get("/api/v1/nothing")
        assert (missing.status_code, missing.json()) == (404, {"error": "Not Found"})
        monkeypatch.setattr(store, "list_runs", broken)
        failed = await client.get("/api/v1/runs")
    assert failed.status_code == 500
    assert failed.json() == {"error": "internal error (RuntimeError); see the log"}
    assert "disk on fire" not in failed.text


async def test_only_an_admin_creates_tokens_and_they_work(
    make_app: AppFactory, store: ServerStore
) -> None:
    app = make_app()
    wanted = {"role": "viewer", "name": "dashboard", "expires": "1h"}
    async with client_of(app, **await bearer(store, "manager")) as manager:
        refused = await manager.post("/api/v1/tokens", json=wanted)
        assert refused.status_code == 403
        assert "admin" in refused.json()["error"]
    async with client_of(app, **await bearer(store, "admin")) as admin:
        made = await admin.post("/api/v1/tokens", json=wanted)
        assert made.status_code == 201
    token = made.json()["token"]
    async with client_of(app, authorization=f"Bearer {token}") as dashboard:
        assert (await dashboard.get("/api/v1/runs")).status_code == 200
        assert (await dashboard.post("/api/v1/tokens", json=wanted)).status_code == 403
