"""The agents and workflows pages as the server renders them (in process): an agent that
stopped sending heartbeats is shown lost, a disabled cron trigger has no next fire."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.integration.api.conftest import client_of
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store
from xene.store.agents import AgentRecord

PAGE = {"accept": "text/html"}
FLOW = """\
name: nightly
triggers:
  - {id: at-two, type: cron, enabled: false, params: {schedule: "0 2 * * *"}}
  - {id: at-three, type: cron, params: {schedule: "0 3 * * *", timezone: Europe/Paris}}
nodes:
  hello: {type: std::log, config: {message: hi}}
edges:
  - {from: at-two, to: hello}
  - {from: at-three, to: hello}
"""


@pytest.fixture
async def runtime(tmp_path: Path) -> AsyncIterator[Runtime]:
    store = await open_store(f"sqlite:///{tmp_path}/xene.db")
    yield Runtime(store, ServerConfig(auth=False, agent=False, lease_s=15.0))
    await store.close()


@pytest.fixture
async def browser(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    async with client_of(create_app(runtime)) as client:
        yield client


async def test_an_agent_silent_past_its_lease_is_lost_and_one_beating_online(
    runtime: Runtime, browser: httpx.AsyncClient
) -> None:
    now = time.time()
    for name, seen in (("quiet", now - 60), ("lively", now)):
        await runtime.store.register_agent(AgentRecord(name, ("gpu",), 2, "1", "h", seen, seen))
    page = await browser.get("/agents", headers=PAGE)
    assert page.status_code == 200
    rows = {name: page.text.split(f'data-agent="{name}"')[1].split("</tr>")[0] for name in
            ("quiet", "lively")}  # fmt: skip
    assert "agent-lost" in rows["quiet"]
    assert "agent-online" in rows["lively"]
    assert "Drain lively" in rows["lively"]  # auth off: everyone is an admin
    assert "Drain quiet" not in rows["quiet"]


async def test_only_an_enabled_cron_trigger_says_when_it_fires_next(
    runtime: Runtime, browser: httpx.AsyncClient
) -> None:
    applied = await browser.post(
        "/api/v1/workflows", content=FLOW, headers={"content-type": "application/yaml"}
    )
    assert applied.status_code == 201, applied.text
    page = await browser.get("/", headers=PAGE)
    two = page.text.split("<strong>at-two</strong>")[1].split("</li>")[0]
    three = page.text.split("<strong>at-three</strong>")[1].split("</li>")[0]
    assert "(disabled)" in two
    assert "next" not in two
    assert "0 3 * * * (Europe/Paris)" in three
    assert "next <time datetime=" in three
