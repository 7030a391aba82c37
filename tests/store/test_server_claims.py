"""Contract: queued runs and `claim_runs`, how agents take work (`ServerStore`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.store.factories import new_run, node, run_row, step
from xene.store import open_store
from xene.store.base import Batch, ServerStore, Store
from xene.store.memory import MemoryStore
from xene.store.sql import SqlStore

NOW = 1_700_000_100.0
LATER = NOW + 30


@pytest.fixture
def server(store: Store) -> ServerStore:
    """The `store` fixture as what it also is: a ServerStore (checked by mypy here)."""
    assert isinstance(store, MemoryStore | SqlStore)
    return store


@pytest.fixture
async def other(server: ServerStore, store_url: str) -> AsyncIterator[ServerStore]:
    """A second store on the same database (the same one for memory://)."""
    if isinstance(server, MemoryStore):
        yield server
        return
    second = await open_store(store_url)
    assert isinstance(second, SqlStore)
    yield second
    await second.close()


async def queued(store: ServerStore) -> str:
    run_id, _ = await store.create_run(new_run(state="WaitingForExecutor", owner="", lease_until=0))
    return run_id


async def _state(store: ServerStore, run_id: str) -> tuple[str, str, float]:
    stored = await store.get_run(run_id)
    assert stored is not None
    return str(stored.record.state), stored.owner, stored.lease_until


async def test_create_run_stores_not_executed_by_default(server: ServerStore) -> None:
    run_id, _ = await server.create_run(new_run())
    assert await _state(server, run_id) == ("NotExecuted", "elsewhere:1", 1_700_000_030.0)


async def test_create_run_stores_the_state_given(server: ServerStore) -> None:
    run_id = await queued(server)
    assert await _state(server, run_id) == ("WaitingForExecutor", "", 0.0)


async def test_claim_runs_takes_queued_runs_and_sets_owner_and_lease(server: ServerStore) -> None:
    run_id = await queued(server)
    assert await server.claim_runs("agent:1", 10, LATER, NOW) == [run_id]
    assert await _state(server, run_id) == ("WaitingForExecutor", "agent:1", LATER)


async def test_claim_runs_takes_the_oldest_first_up_to_the_limit(server: ServerStore) -> None:
    ids = [await queued(server) for _ in range(4)]
    assert await server.claim_runs("agent:1", 2, LATER, NOW) == ids[:2]
    assert await server.claim_runs("agent:2", 5, LATER, NOW) == ids[2:]
    assert await server.claim_runs("agent:3", 5, LATER, NOW) == []


async def test_claim_stored_runs_gives_the_runs_taken_as_get_run_does(
    server: ServerStore,
) -> None:
    ids = [await queued(server) for _ in range(3)]
    claimed = await server.claim_stored_runs("agent:1", 2, LATER, NOW)
    assert claimed == [await server.get_run(run_id) for run_id in ids[:2]]
    assert [(s.owner, s.lease_until) for s in claimed] == [("agent:1", LATER)] * 2
    assert await server.claim_stored_runs("agent:2", 0, LATER, NOW) == []


async def test_claim_stored_runs_gives_a_run_taken_over_with_its_records(
    server: ServerStore,
) -> None:
    taken, _ = await server.create_run(new_run(owner="dead-host:7", lease_until=NOW - 1))
    records = Batch(run=run_row(taken, "Running"), nodes=[node("a")], steps=[step("a", 0)])
    await server.commit(taken, records)
    fresh = await queued(server)
    claimed = await server.claim_stored_runs("agent:1", 5, LATER, NOW)
    assert claimed == [await server.get_run(taken), await server.get_run(fresh)]
    assert [len(s.record.nodes) for s in claimed] == [1, 0]


async def test_claim_runs_with_a_limit_of_0_takes_nothing(server: ServerStore) -> None:
    await queued(server)
    assert await server.claim_runs("agent:1", 0, LATER, NOW) == []


async def test_claim_runs_leaves_a_claimed_run_until_its_lease_expires(
    server: ServerStore,
) -> None:
    run_id = await queued(server)
    assert await server.claim_runs("agent:1", 1, LATER, NOW) == [run_id]
    assert await server.claim_runs("agent:2", 1, LATER + 30, LATER - 1) == []
    assert await server.claim_runs("agent:2", 1, LATER + 30, LATER + 1) == [run_id]
    assert await _state(server, run_id) == ("WaitingForExecutor", "agent:2", LATER + 30)


async def test_claim_runs_takes_a_running_run_whose_lease_expired(server: ServerStore) -> None:
    run_id, _ = await server.create_run(new_run(owner="dead-host:7", lease_until=NOW - 1))
    await server.commit(run_id, Batch(run=run_row(run_id, "Running")))
    assert await server.claim_runs("agent:1", 5, LATER, NOW) == [run_id]
    assert await _state(server, run_id) == ("Running", "agent:1", LATER)


async def test_claim_runs_takes_a_run_that_died_before_it_started(server: ServerStore) -> None:
    run_id, _ = await server.create_run(new_run(owner="dead-host:7", lease_until=NOW - 1))
    assert await server.claim_runs("agent:1", 5, LATER, NOW) == [run_id]


async def test_claim_runs_leaves_a_running_run_with_a_live_lease(server: ServerStore) -> None:
    run_id, _ = await server.create_run(new_run(owner="host:7", lease_until=NOW + 5))
    await server.commit(run_id, Batch(run=run_row(run_id, "Running")))
    assert await server.claim_runs("agent:1", 5, LATER, NOW) == []
    assert await _state(server, run_id) == ("Running", "host:7", NOW + 5)


async def test_claim_runs_never_takes_a_suspended_run(server: ServerStore) -> None:
    run_id, _ = await server.create_run(new_run(owner="", lease_until=0))
    await server.commit(run_id, Batch(run=run_row(run_id, "Suspended")))
    assert await server.claim_runs("agent:1", 5, LATER, NOW) == []


@pytest.mark.parametrize("final", ["Success", "Error", "Cancelled", "ErrorConfiguring"])
async def test_claim_runs_never_takes_a_finished_run(server: ServerStore, final: str) -> None:
    run_id, _ = await server.create_run(new_run(owner="", lease_until=0))
    await server.commit(run_id, Batch(run=run_row(run_id, final, ended_at=NOW - 5)))
    assert await server.claim_runs("agent:1", 5, LATER, NOW) == []


async def test_concurrent_claims_never_take_a_run_twice(
    server: ServerStore, other: ServerStore
) -> None:
    ids = [await queued(server) for _ in range(3)]
    for attempt in range(5):  # each round claims fresh: leases end at NOW + attempt
        now, until = NOW + attempt * 100, NOW + attempt * 100 + 50
        first, second = await asyncio.gather(
            server.claim_runs("agent:1", 1, until, now), other.claim_runs("agent:2", 1, until, now)
        )
        assert len(first) == len(second) == 1
        assert first != second
        assert set(first + second) <= set(ids)
        owners = {run_id: (await _state(server, run_id))[1] for run_id in first + second}
        assert owners == {first[0]: "agent:1", second[0]: "agent:2"}


async def test_concurrent_claims_take_every_queued_run_once(
    server: ServerStore, other: ServerStore
) -> None:
    ids = [await queued(server) for _ in range(12)]
    claims = [s.claim_runs(f"agent:{i}", 2, LATER, NOW) for i, s in enumerate([server, other] * 4)]
    claimed = [run_id for found in await asyncio.gather(*claims) for run_id in found]
    assert sorted(claimed) == ids
