"""Remote agents' work over the memory store: claims by registered labels and capacity,
commits of held runs only, lease renewals, secrets handed over, pipeline stops."""

from __future__ import annotations

import pytest

from tests.store.factories import new_run, run_row
from xene.secrets.vault import Vault
from xene.service import agent_work, agents
from xene.service.errors import NotFound
from xene.store.base import Batch
from xene.store.memory import MemoryStore

NOW = 1_700_000_000.0
TERMS = agent_work.Terms(lease_s=15.0, poll_s=60.0)


async def registered(store: MemoryStore, name: str, *labels: str, capacity: int = 2) -> None:
    offer = agents.Offer(name, labels, capacity, "0.1", "host")
    await agents.register(store, "", offer, NOW)


async def queued(store: MemoryStore, *labels: str, pipeline: str = "build") -> str:
    run = new_run(
        owner="", lease_until=0.0, state="WaitingForExecutor", labels=labels, pipeline=pipeline
    )
    run_id, _ = await store.create_run(run)
    return run_id


async def claim(store: MemoryStore, name: str, free: int = 5) -> list[str]:
    ask = agent_work.Ask(name, free, 0.0)
    claimed = await agent_work.claim(store, ask, TERMS, lambda: NOW, lambda: False)
    return [stored.record.id for stored in claimed]


async def test_a_claim_takes_at_most_the_capacity_with_the_registered_labels() -> None:
    store = MemoryStore()
    await registered(store, "box", "gpu", capacity=2)
    runs = [await queued(store, "gpu") for _ in range(3)] + [await queued(store, "arm")]
    assert await claim(store, "box", free=5) == runs[:2]
    summary = await store.run_summary(runs[0])
    assert summary is not None
    assert summary.owner == "agent:box"


async def test_an_unknown_agent_must_register_and_a_draining_one_gets_nothing() -> None:
    store = MemoryStore()
    with pytest.raises(NotFound, match="register again"):
        await claim(store, "ghost")
    await registered(store, "box")
    await queued(store)
    await store.drain_agent("box")
    assert await claim(store, "box") == []


async def test_a_lost_agent_and_one_whose_connection_closed_get_nothing() -> None:
    store = MemoryStore()
    await registered(store, "box")
    run_id = await queued(store)
    later = NOW + TERMS.lease_s + 1  # no heartbeat since: a frozen or killed agent's poll
    ask = agent_work.Ask("box", 1, 0.0)
    assert await agent_work.claim(store, ask, TERMS, lambda: later, lambda: False) == []

    async def gone() -> bool:
        return True

    assert await agent_work.claim(store, ask, TERMS, lambda: NOW, lambda: False, gone) == []
    assert await claim(store, "box") == [run_id]  # online and connected, it gets the run


async def test_only_the_holder_writes_a_run() -> None:
    store = MemoryStore()
    await registered(store, "box")
    run_id = await queued(store)
    await claim(store, "box")
    with pytest.raises(agent_work.LeaseMoved, match="not held by agent 'other'"):
        await agent_work.holding(store, "other", run_id)
    with pytest.raises(NotFound):
        await agent_work.holding(store, "box", "01HXNOPE")
    held = await agent_work.holding(store, "box", run_id)
    ended = Batch(run=run_row(run_id, "Success", ended_at=NOW + 1), lease_until=0.0, seq=1)
    done = await agent_work.commit(store, held, 1, [ended], NOW + 60)
    assert done.applied == 1
    assert done.ended is not None
    assert (done.ended.id, done.ended.state) == (run_id, "Success")


async def test_a_lease_an_agent_renews_runs_by_the_servers_clock_not_the_agents() -> None:
    store = MemoryStore()
    await registered(store, "box")
    run_id = await queued(store)
    await claim(store, "box")
    held = await agent_work.holding(store, "box", run_id)
    behind = Batch(run=run_row(run_id, "Running"), lease_until=NOW - 3600, epoch=1, seq=1)
    await agent_work.commit(store, held, 1, [behind], NOW + 60)
    stored = await store.get_run(run_id)
    assert stored is not None
    assert stored.lease_until == NOW + 60


async def test_a_heartbeat_renews_the_runs_held_and_names_the_lost_and_the_cancelled() -> None:
    store = MemoryStore()
    await registered(store, "box")
    kept, cancelled = await queued(store), await queued(store)
    await claim(store, "box")
    await store.request_cancel(cancelled)
    renewal = await agent_work.renew(store, "box", {kept: 1, cancelled: 1, "gone": 1}, NOW + 30)
    assert (renewal.lost, renewal.cancel) == (("gone",), (cancelled,))
    summary = await store.run_summary(kept)
    assert summary is not None
    assert summary.lease_until == NOW + 30


async def test_a_pipeline_stop_asks_the_agents_holding_its_runs() -> None:
    store = MemoryStore()
    await registered(store, "box")
    held, other = await queued(store), await queued(store, pipeline="deploy")
    local, _ = await store.create_run(new_run(owner="host:1", lease_until=NOW + 30))
    await claim(store, "box")
    assert await agent_work.cancel_on_agents(store, "ci", "build") == [held]
    assert [await store.cancel_requested(r) for r in (held, other, local)] == [True, False, False]


async def test_secrets_that_resolve_are_handed_over_and_the_others_left_out() -> None:
    store = MemoryStore()
    vault = Vault(store, "the test store")
    await vault.set("API_KEY", "k-1", "tests", NOW)
    await vault.set("OTHER", "o-1", "tests", NOW)
    found = await agent_work.secrets_for({"API_KEY", "MISSING"}, vault.resolve)
    assert found == {"API_KEY": "k-1"}
    assert await agent_work.secrets_for(set(), vault.resolve) == {}


async def test_a_stopping_server_hands_out_nothing() -> None:
    store = MemoryStore()
    await registered(store, "box")
    run_id = await queued(store)
    ask = agent_work.Ask("box", 1, 30.0)
    assert await agent_work.claim(store, ask, TERMS, lambda: NOW, lambda: True) == []
    summary = await store.run_summary(run_id)
    assert summary is not None
    assert summary.owner == ""
