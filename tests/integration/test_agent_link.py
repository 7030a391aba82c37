"""An agent's life against real servers: it registers, heartbeats on its own schedule,
hears a drain in the reply, registers again when forgotten, fails over to the next
server, and says it drains when stopped."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.server_thread import ServerThread, serving
from xene.agent.agent import Agent, BadSpool, Refused
from xene.agent.link import Link, Unreachable
from xene.agent.settings import AgentSettings

LEASE_S = 0.6  # heartbeats every 0.2 s
DEADLINE_S = 20.0


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/xene.db"


@pytest.fixture
def server(db: str) -> Iterator[ServerThread]:
    with serving(db, lease_s=LEASE_S) as server:
        yield server


def listed(server: ServerThread, name: str = "laptop") -> list[dict[str, Any]]:
    """The agents named `name` the server knows (not its own, built-in one)."""
    agents: list[dict[str, Any]] = httpx.get(f"{server.url}/api/v1/agents").json()["agents"]
    return [agent for agent in agents if agent["name"] == name]


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


async def in_thread(call: Callable[[], Any]) -> Any:
    return await asyncio.to_thread(call)


def settings(*servers: ServerThread, **more: Any) -> AgentSettings:
    return AgentSettings(
        servers=tuple(s.url for s in servers), name="laptop", labels=("gpu",), **more
    )


async def test_an_agent_registers_and_heartbeats(server: ServerThread) -> None:
    agent, stop = Agent(settings(server, capacity=2), version="9.9"), asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    await until(lambda: agent.heartbeats.beats >= 3, "three heartbeats")
    (record,) = await in_thread(lambda: listed(server))
    assert (record["name"], record["labels"], record["capacity"]) == ("laptop", ["gpu"], 2)
    assert (record["version"], record["state"]) == ("9.9", "online")
    assert agent.heartbeats.every_s == pytest.approx(LEASE_S / 3)
    stop.set()
    await task
    (record,) = await in_thread(lambda: listed(server))
    assert record["state"] == "draining"


async def test_a_drain_asked_of_the_agent_reaches_it(server: ServerThread) -> None:
    agent, stop = Agent(settings(server)), asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    await until(lambda: agent.heartbeats.beats >= 1, "a heartbeat")
    assert not agent.heartbeats.asked_to_drain
    await in_thread(lambda: httpx.post(f"{server.url}/api/v1/agents/laptop/drain"))
    await until(lambda: agent.heartbeats.asked_to_drain, "the drain heard")
    stop.set()
    await task


async def test_a_forgotten_agent_registers_again(server: ServerThread) -> None:
    agent, stop = Agent(settings(server)), asyncio.Event()
    task = asyncio.create_task(agent.run(stop))
    await until(lambda: agent.heartbeats.beats >= 1, "a heartbeat")
    await in_thread(lambda: httpx.delete(f"{server.url}/api/v1/agents/laptop"))
    await until(lambda: bool(listed(server)), "registered again")
    stop.set()
    await task


async def test_the_agent_fails_over_to_the_next_server(db: str) -> None:
    with serving(db, lease_s=LEASE_S) as second:
        first = serving(db, lease_s=LEASE_S)
        a = first.__enter__()
        agent, stop = Agent(settings(a, second)), asyncio.Event()
        task = asyncio.create_task(agent.run(stop))
        try:
            await until(lambda: agent.heartbeats.beats >= 1, "a heartbeat to the first")
            assert agent.link.server == a.url
        finally:
            await in_thread(lambda: first.__exit__(None, None, None))
        beats = agent.heartbeats.beats
        await until(lambda: agent.heartbeats.beats >= beats + 2, "heartbeats to the second")
        assert agent.link.server == second.url
        (record,) = await in_thread(lambda: listed(second))
        assert record["state"] == "online"
        stop.set()
        await task


async def test_no_server_answering_is_unreachable() -> None:
    link = Link(AgentSettings(servers=("http://127.0.0.1:9", "http://127.0.0.1:7"), name="x"))
    with pytest.raises(Unreachable, match=r"no server answered: http://127\.0\.0\.1:9: .*:7"):
        await link.request("control", "GET", "/health")
    await link.aclose()


async def test_a_refused_agent_says_why(server: ServerThread) -> None:
    agent = Agent(AgentSettings(servers=(server.url,)))  # nameless, and auth is off
    with pytest.raises(Refused, match="refused the agent: name the agent"):
        await agent.register()
    await agent.link.aclose()


def test_settings_say_what_is_missing(tmp_path: Path) -> None:
    problems = AgentSettings(servers=(), cert=str(tmp_path / "a.pem")).problems()
    assert problems == [
        "name a server: --server https://xene.example.com:6060",
        "--cert and --key go together",
        f"--cert {tmp_path / 'a.pem'}: no such file",
    ]
    assert "the agent needs an identity" in AgentSettings(servers=("http://x",)).problems()[0]


async def test_a_spool_that_cannot_be_made_says_what_to_give(
    server: ServerThread, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    agent = Agent(settings(server, spool=str(blocker / "spool")))
    with pytest.raises(BadSpool, match=r"the spool .*a-file/spool cannot be made \(Not a dir"):
        await agent.run(asyncio.Event())
