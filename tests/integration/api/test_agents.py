"""Agents through the API: registering and heartbeating with an agent token, the fleet as
people see it (online, draining, lost), drain and forget, and who may call which routes.
Client certificates (mutual TLS) are in tests/integration/test_mtls.py."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import FakeClock
from tests.integration.api.conftest import JWT_SECRET, bearer, client_of
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store
from xene.store.base import ServerStore

LEASE_S = 15.0
OFFER = {"labels": ["gpu", "os=linux"], "capacity": 2, "version": "0.1.0", "host": "box-a"}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[ServerStore]:
    store = await open_store(f"sqlite:///{tmp_path}/xene.db")
    yield store
    await store.close()


@pytest.fixture
def app(store: ServerStore, clock: FakeClock) -> FastAPI:
    config = ServerConfig(auth=True, jwt_secret=JWT_SECRET, lease_s=LEASE_S)
    return create_app(Runtime(store, config, clock=clock))


@dataclass
class Api:
    """The API in process, and tokens of any role for it."""

    app: FastAPI
    store: ServerStore
    clock: FakeClock

    async def call(self, role: str, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = await bearer(self.store, role, now=self.clock.now())
        async with client_of(self.app, **headers) as client:
            return await client.request(method, path, json=body)

    async def agents(self) -> list[dict[str, Any]]:
        answer = await self.call("viewer", "GET", "/api/v1/agents")
        assert answer.status_code == 200, answer.text
        listed: list[dict[str, Any]] = answer.json()["agents"]
        return listed


@pytest.fixture
def api(app: FastAPI, store: ServerStore, clock: FakeClock) -> Api:
    return Api(app, store, clock)


async def test_an_agent_registers_under_its_tokens_name(api: Api) -> None:
    answer = await api.call("agent", "POST", "/api/v1/agent/register", OFFER)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"name": "a-agent", "heartbeat_s": 5.0, "lease_s": LEASE_S}
    (agent,) = await api.agents()
    assert agent["name"] == "a-agent"
    assert agent["labels"] == ["gpu", "os=linux"]
    assert (agent["capacity"], agent["running"], agent["state"]) == (2, 0, "online")
    assert (agent["version"], agent["host"]) == ("0.1.0", "box-a")


async def test_an_agent_may_not_claim_another_name(api: Api) -> None:
    body = OFFER | {"name": "someone-else"}
    answer = await api.call("agent", "POST", "/api/v1/agent/register", body)
    assert answer.status_code == 409
    assert "names it 'a-agent', not 'someone-else'" in answer.json()["error"]
    assert await api.agents() == []


@pytest.mark.parametrize(
    ("offer", "words"),
    [
        ({"labels": ["has space"]}, "label 'has space' is not usable"),
        ({"labels": [f"l{i}" for i in range(51)]}, "at most 50 labels"),
    ],
)
async def test_bad_labels_are_refused_saying_which(
    api: Api, offer: dict[str, Any], words: str
) -> None:
    answer = await api.call("agent", "POST", "/api/v1/agent/register", offer)
    assert answer.status_code == 409
    assert words in answer.json()["error"]


async def test_capacity_is_one_run_or_more(api: Api) -> None:
    body = OFFER | {"capacity": 0}
    answer = await api.call("agent", "POST", "/api/v1/agent/register", body)
    assert answer.status_code == 422


async def test_heartbeats_keep_an_agent_online_and_silence_loses_it(api: Api) -> None:
    await api.call("agent", "POST", "/api/v1/agent/register", OFFER)
    api.clock.time += LEASE_S - 1
    beat = await api.call("agent", "POST", "/api/v1/agent/heartbeat", {"running": 1})
    assert beat.status_code == 200, beat.text
    assert beat.json() == {"draining": False, "lease_s": LEASE_S, "lost": [], "cancel": []}
    api.clock.time += LEASE_S
    (agent,) = await api.agents()
    assert (agent["state"], agent["running"], agent["seen_s_ago"]) == ("online", 1, LEASE_S)
    api.clock.time += 1
    assert (await api.agents())[0]["state"] == "lost"


async def test_a_drain_reaches_the_agent_in_its_heartbeat_reply(api: Api) -> None:
    await api.call("agent", "POST", "/api/v1/agent/register", OFFER)
    drained = await api.call("admin", "POST", "/api/v1/agents/a-agent/drain")
    assert drained.status_code == 200, drained.text
    assert drained.json()["state"] == "draining"
    beat = await api.call("agent", "POST", "/api/v1/agent/heartbeat", {})
    assert beat.json()["draining"] is True
    again = await api.call("agent", "POST", "/api/v1/agent/register", OFFER)
    assert again.status_code == 200
    assert (await api.agents())[0]["state"] == "online"


async def test_an_agent_draining_of_its_own_accord_shows_so(api: Api) -> None:
    await api.call("agent", "POST", "/api/v1/agent/register", OFFER)
    body = {"running": 1, "draining": True}
    await api.call("agent", "POST", "/api/v1/agent/heartbeat", body)
    assert (await api.agents())[0]["state"] == "draining"


async def test_a_forgotten_agent_is_told_to_register_again(api: Api) -> None:
    await api.call("agent", "POST", "/api/v1/agent/register", OFFER)
    gone = await api.call("admin", "DELETE", "/api/v1/agents/a-agent")
    assert gone.status_code == 204
    assert await api.agents() == []
    beat = await api.call("agent", "POST", "/api/v1/agent/heartbeat", {})
    assert beat.status_code == 404
    assert "register again" in beat.json()["error"]


async def test_draining_or_forgetting_an_unknown_agent_names_the_known_ones(api: Api) -> None:
    await api.call("agent", "POST", "/api/v1/agent/register", OFFER)
    for method, path in (
        ("POST", "/api/v1/agents/ghost/drain"),
        ("DELETE", "/api/v1/agents/ghost"),
    ):
        answer = await api.call("admin", method, path)
        assert answer.status_code == 404
        assert answer.json()["error"] == "no agent 'ghost'; agents known: a-agent"


@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
async def test_peoples_tokens_cannot_call_agent_routes(api: Api, role: str) -> None:
    answer = await api.call(role, "POST", "/api/v1/agent/register", OFFER)
    assert answer.status_code == 403
    assert "the agent routes are for agents" in answer.json()["error"]


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/api/v1/agents"), ("GET", "/api/v1/runs"), ("POST", "/api/v1/agents/a/drain")],
)
async def test_an_agent_token_cannot_call_peoples_routes(api: Api, method: str, path: str) -> None:
    answer = await api.call("agent", method, path)
    assert answer.status_code == 403
    assert "agent token: it is for the agent routes only" in answer.json()["error"]


async def test_agent_routes_without_credentials_say_what_they_take(app: FastAPI) -> None:
    async with client_of(app) as client:
        answer = await client.post("/api/v1/agent/register", json=OFFER)
    assert answer.status_code == 401
    assert "client certificate signed by the server's --client-ca" in answer.json()["error"]


async def test_only_admins_drain_and_forget(api: Api) -> None:
    await api.call("agent", "POST", "/api/v1/agent/register", OFFER)
    for method, path in (
        ("POST", "/api/v1/agents/a-agent/drain"),
        ("DELETE", "/api/v1/agents/a-agent"),
    ):
        assert (await api.call("manager", method, path)).status_code == 403
    assert (await api.agents())[0]["state"] == "online"


async def test_without_auth_an_agent_names_itself(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path}/open.db")
    try:
        app = create_app(Runtime(store, ServerConfig(auth=False)))
        async with client_of(app) as client:
            nameless = await client.post("/api/v1/agent/register", json=OFFER)
            assert nameless.status_code == 409
            assert "name the agent" in nameless.json()["error"]
            named = await client.post("/api/v1/agent/register", json=OFFER | {"name": "laptop"})
            assert named.json()["name"] == "laptop"
            beat = await client.post("/api/v1/agent/heartbeat?name=laptop", json={})
            assert beat.status_code == 200
    finally:
        await store.close()


async def test_metrics_count_agents_by_state(api: Api) -> None:
    await api.call("agent", "POST", "/api/v1/agent/register", OFFER)
    api.clock.time += LEASE_S + 1
    metrics = (await api.call("viewer", "GET", "/metrics")).text
    assert 'xene_agents{state="lost"} 1.0' in metrics
    assert 'xene_agents{state="online"} 0.0' in metrics
    await api.call("agent", "POST", "/api/v1/agent/heartbeat", {})
    metrics = (await api.call("viewer", "GET", "/metrics")).text
    assert 'xene_agents{state="online"} 1.0' in metrics
    assert 'xene_agents{state="lost"} 0.0' in metrics
