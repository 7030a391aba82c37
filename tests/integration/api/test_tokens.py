"""Tokens through the API: lifetimes, records, listing, revocation seen by every server
on the store, tokens made before ids (refused), and `/metrics` with `--metrics-public`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from fastapi import FastAPI

from tests.conftest import FakeClock
from tests.integration.api.conftest import JWT_SECRET, bearer, client_of
from xene.server import auth
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store
from xene.store.base import ServerStore

DAY = 86400.0


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ServerStore]:
    store = await open_store(f"sqlite:///{tmp_path}/xene.db")
    yield store
    await store.close()


def server(store: ServerStore, clock: FakeClock, **config: Any) -> FastAPI:
    """An API (not started: no runs here) over `store`, whose time is `clock`."""
    settings = {"auth": True, "jwt_secret": JWT_SECRET, **config}
    return create_app(Runtime(store, ServerConfig(**settings), clock=clock))


async def admin_of(store: ServerStore, clock: FakeClock) -> dict[str, str]:
    return await bearer(store, "admin", lifetime_s=None, now=clock.now())


async def made(app: FastAPI, admin: dict[str, str], **wanted: Any) -> httpx.Response:
    async with client_of(app, **admin) as client:
        return await client.post("/api/v1/tokens", json=wanted)


async def status(app: FastAPI, token: str, path: str = "/api/v1/runs") -> httpx.Response:
    async with client_of(app, authorization=f"Bearer {token}") as client:
        return await client.get(path)


async def test_a_token_lasts_30_days_unless_told(store: ServerStore, clock: FakeClock) -> None:
    app = server(store, clock)
    answer = await made(app, await admin_of(store, clock), role="viewer", name="grafana")
    assert answer.status_code == 201
    body = answer.json()
    assert body["expires_at"] == int(clock.now()) + 30 * DAY
    assert (body["role"], body["name"], body["state"]) == ("viewer", "grafana", "active")
    assert (body["created_by"], body["revoked_at"]) == ("a-admin", None)


@pytest.mark.parametrize(("expires", "seconds"), [("7d", 7 * DAY), ("12h", 12 * 3600.0)])
async def test_expires_sets_the_lifetime(
    store: ServerStore, clock: FakeClock, expires: str, seconds: float
) -> None:
    app = server(store, clock)
    answer = await made(
        app, await admin_of(store, clock), role="manager", name="ci", expires=expires
    )
    assert answer.json()["expires_at"] == int(clock.now()) + seconds
    claims = jwt.decode(
        answer.json()["token"], JWT_SECRET, ["HS256"], options={"verify_exp": False}
    )
    assert (claims["exp"], claims["jti"]) == (int(clock.now() + seconds), answer.json()["id"])


async def test_a_token_is_refused_once_its_lifetime_has_passed(
    store: ServerStore, clock: FakeClock
) -> None:
    app = server(store, clock)
    answer = await made(app, await admin_of(store, clock), role="viewer", name="v", expires="12h")
    token = answer.json()["token"]
    clock.time += 11 * 3600
    assert (await status(app, token)).status_code == 200
    clock.time += 2 * 3600
    refused = await status(app, token)
    assert refused.status_code == 401
    assert "expired" in refused.json()["error"]


async def test_never_expiring_tokens_are_for_admins_only(
    store: ServerStore, clock: FakeClock
) -> None:
    app, admin = server(store, clock), await admin_of(store, clock)
    refused = await made(app, admin, role="manager", name="bot", expires="never")
    assert refused.status_code == 400
    assert "never is for admin tokens only" in refused.json()["error"]
    forever = await made(app, admin, role="admin", name="root", expires="never")
    assert forever.status_code == 201
    assert forever.json()["expires_at"] is None
    assert "exp" not in jwt.decode(forever.json()["token"], JWT_SECRET, ["HS256"])


@pytest.mark.parametrize("expires", ["soon", "0d", "3651d"])
async def test_a_bad_lifetime_is_400_and_makes_no_token(
    store: ServerStore, clock: FakeClock, expires: str
) -> None:
    app = server(store, clock)
    answer = await made(app, await admin_of(store, clock), role="viewer", name="v", expires=expires)
    assert answer.status_code == 400
    assert "expires" in answer.json()["error"]
    assert len(await store.list_tokens()) == 1  # the admin's own


@pytest.mark.parametrize("role", ["viewer", "manager"])
async def test_only_admins_list_and_revoke_tokens(
    store: ServerStore, clock: FakeClock, role: str
) -> None:
    app = server(store, clock)
    async with client_of(app, **await bearer(store, role, now=clock.now())) as client:
        listed = await client.get("/api/v1/tokens")
        revoked = await client.delete(f"/api/v1/tokens/{(await store.list_tokens())[0].id}")
    assert (listed.status_code, revoked.status_code) == (403, 403)
    assert all(t.revoked_at is None for t in await store.list_tokens())


async def test_the_list_has_every_record_and_never_a_token(
    store: ServerStore, clock: FakeClock
) -> None:
    app, admin = server(store, clock), await admin_of(store, clock)
    clock.time += 1
    first = (await made(app, admin, role="viewer", name="one")).json()
    clock.time += 1
    await made(app, admin, role="manager", name="two")
    async with client_of(app, **admin) as client:
        await client.delete(f"/api/v1/tokens/{first['id']}")
        listed = (await client.get("/api/v1/tokens")).json()["tokens"]
    assert [(t["name"], t["state"]) for t in listed] == [
        ("a-admin", "active"),
        ("one", "revoked"),
        ("two", "active"),
    ]
    assert all("token" not in t for t in listed)
    assert first["token"] not in str(listed)


async def test_a_revoked_token_is_refused_at_once_by_the_server_that_revoked_it(
    store: ServerStore, clock: FakeClock
) -> None:
    app, admin = server(store, clock), await admin_of(store, clock)
    viewer = (await made(app, admin, role="viewer", name="leaked")).json()
    assert (await status(app, viewer["token"])).status_code == 200
    async with client_of(app, **admin) as client:
        answer = await client.delete(f"/api/v1/tokens/{viewer['id']}")
    assert (answer.status_code, answer.json()["state"]) == (200, "revoked")
    refused = await status(app, viewer["token"])
    assert refused.status_code == 401
    assert "leaked) was revoked" in refused.json()["error"]


async def test_a_revoked_token_is_refused_by_every_server_on_the_store_within_seconds(
    store: ServerStore, clock: FakeClock
) -> None:
    one, other = server(store, clock), server(store, clock)
    admin = await admin_of(store, clock)
    viewer = (await made(one, admin, role="viewer", name="leaked")).json()
    assert (await status(other, viewer["token"])).status_code == 200  # `other` remembers it
    async with client_of(one, **admin) as client:
        await client.delete(f"/api/v1/tokens/{viewer['id']}")
    clock.time += auth.CHECK_S
    assert (await status(other, viewer["token"])).status_code == 401


async def test_revoking_takes_a_unique_id_prefix_and_an_unknown_id_is_404(
    store: ServerStore, clock: FakeClock
) -> None:
    app, admin = server(store, clock), await admin_of(store, clock)
    viewer = (await made(app, admin, role="viewer", name="v")).json()
    async with client_of(app, **admin) as client:
        unknown = await client.delete("/api/v1/tokens/zzzz")
        by_prefix = await client.delete(f"/api/v1/tokens/{viewer['id'][-8:]}")
    assert unknown.status_code == 404
    assert "no token 'zzzz'" in unknown.json()["error"]
    assert by_prefix.status_code == 404  # the end of an id is no prefix
    async with client_of(app, **admin) as client:
        revoked = await client.delete(f"/api/v1/tokens/{viewer['id'][:20].upper()}")
    assert (revoked.status_code, revoked.json()["id"]) == (200, viewer["id"])


async def test_a_token_made_before_ids_is_refused_saying_how_to_get_a_new_one(
    store: ServerStore, clock: FakeClock
) -> None:
    old = jwt.encode({"sub": "old", "role": "admin", "iat": 1}, JWT_SECRET, algorithm="HS256")
    refused = await status(server(store, clock), old)
    assert refused.status_code == 401
    assert "made before tokens could be revoked" in refused.json()["error"]
    assert "xene token create" in refused.json()["error"]


async def test_a_token_of_another_store_is_refused(
    store: ServerStore, clock: FakeClock, tmp_path: Path
) -> None:
    elsewhere = await open_store(f"sqlite:///{tmp_path}/other.db")
    try:
        headers = await bearer(elsewhere, "admin", now=clock.now())
    finally:
        await elsewhere.close()
    async with client_of(server(store, clock), **headers) as client:
        refused = await client.get("/api/v1/runs")
    assert refused.status_code == 401
    assert "not known to this server's store" in refused.json()["error"]


async def test_metrics_need_a_viewer_token_unless_public(
    store: ServerStore, clock: FakeClock
) -> None:
    async with client_of(server(store, clock)) as anonymous:
        assert (await anonymous.get("/metrics")).status_code == 401
    async with client_of(server(store, clock, metrics_public=True)) as anonymous:
        public = await anonymous.get("/metrics")
        assert public.status_code == 200
        assert (await anonymous.get("/api/v1/runs")).status_code == 401  # only /metrics
    assert "# TYPE xene_runs_started" in public.text
