"""Contract: the agents a server knows (`AgentStore`), on every backend."""

from __future__ import annotations

from dataclasses import replace

import pytest

from xene.store.agents import AgentRecord
from xene.store.base import ServerStore, Store

AT = 1_700_000_000.0
GPU = AgentRecord("gpu-1", ("gpu", "linux"), 2, "0.1.0", "box-a", AT, AT)


@pytest.fixture
def server(store: Store) -> ServerStore:
    assert isinstance(store, ServerStore)
    return store


async def test_a_registered_agent_is_read_back_as_given(server: ServerStore) -> None:
    await server.register_agent(GPU)
    assert await server.get_agent("gpu-1") == GPU
    assert await server.get_agent("gpu-2") is None


async def test_agents_are_listed_by_name(server: ServerStore) -> None:
    for name in ("c", "a", "b"):
        await server.register_agent(replace(GPU, name=name, labels=()))
    assert [a.name for a in await server.list_agents()] == ["a", "b", "c"]
    assert (await server.list_agents())[0].labels == ()


async def test_registering_again_replaces_the_record_and_clears_a_drain(
    server: ServerStore,
) -> None:
    await server.register_agent(GPU)
    assert await server.drain_agent("gpu-1")
    again = replace(GPU, labels=("cpu",), capacity=8, version="0.2.0", registered_at=AT + 60)
    await server.register_agent(again)
    assert await server.get_agent("gpu-1") == again


async def test_a_heartbeat_records_when_and_how_many_runs(server: ServerStore) -> None:
    await server.register_agent(GPU)
    beat = await server.heartbeat_agent("gpu-1", 2, False, AT + 5)
    assert beat == replace(GPU, heartbeat_at=AT + 5, running=2)
    assert await server.get_agent("gpu-1") == beat


async def test_a_drain_asked_of_an_agent_outlasts_its_heartbeats(server: ServerStore) -> None:
    await server.register_agent(GPU)
    assert await server.drain_agent("gpu-1")
    beat = await server.heartbeat_agent("gpu-1", 1, False, AT + 5)
    assert beat is not None
    assert beat.draining


async def test_an_agent_may_drain_of_its_own_accord(server: ServerStore) -> None:
    await server.register_agent(GPU)
    beat = await server.heartbeat_agent("gpu-1", 1, True, AT + 5)
    assert beat is not None
    assert beat.draining


async def test_an_unknown_agent_has_no_heartbeat_nor_drain(server: ServerStore) -> None:
    assert await server.heartbeat_agent("ghost", 0, False, AT) is None
    assert not await server.drain_agent("ghost")
    assert await server.list_agents() == []


async def test_a_forgotten_agent_is_gone_until_it_registers(server: ServerStore) -> None:
    await server.register_agent(GPU)
    assert await server.forget_agent("gpu-1")
    assert not await server.forget_agent("gpu-1")
    assert await server.heartbeat_agent("gpu-1", 0, False, AT + 5) is None
    await server.register_agent(GPU)
    assert await server.get_agent("gpu-1") == GPU
