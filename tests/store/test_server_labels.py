"""Contract: a run whose pipeline names agent labels goes only to a claimer that has
every one of them (`ServerStore.claim_runs`, `claim_stored_runs`), on every backend."""

from __future__ import annotations

import pytest

from tests.store.factories import new_run, run_row
from xene.store.base import Batch, ServerStore, Store

NOW = 1_700_000_100.0
LATER = NOW + 30


@pytest.fixture
def server(store: Store) -> ServerStore:
    assert isinstance(store, ServerStore)
    return store


async def queued(server: ServerStore, *labels: str) -> str:
    run = new_run(state="WaitingForExecutor", owner="", lease_until=0, labels=labels)
    run_id, created = await server.create_run(run)
    assert created
    return run_id


async def test_a_run_without_labels_goes_to_any_claimer(server: ServerStore) -> None:
    run_id = await queued(server)
    assert await server.claim_runs("gpu-box", 5, LATER, NOW, ("gpu",)) == [run_id]


async def test_a_run_with_labels_waits_for_a_claimer_with_all_of_them(
    server: ServerStore,
) -> None:
    run_id = await queued(server, "gpu", "os=linux")
    assert await server.claim_runs("plain", 5, LATER, NOW) == []
    assert await server.claim_runs("half", 5, LATER, NOW, ("gpu",)) == []
    assert await server.claim_runs("other", 5, LATER, NOW, ("os=linux", "arm")) == []
    taken = await server.claim_runs("full", 5, LATER, NOW, ("arm", "gpu", "os=linux"))
    assert taken == [run_id]


async def test_a_claimer_skips_what_it_cannot_run_and_takes_what_follows(
    server: ServerStore,
) -> None:
    gpu = await queued(server, "gpu")
    plain = await queued(server)
    assert await server.claim_runs("cpu-box", 1, LATER, NOW) == [plain]
    assert await server.claim_runs("gpu-box", 5, LATER, NOW, ["gpu"]) == [gpu]


async def test_claimed_stored_runs_follow_the_labels_too(server: ServerStore) -> None:
    gpu = await queued(server, "gpu")
    assert await server.claim_stored_runs("cpu-box", 5, LATER, NOW) == []
    (stored,) = await server.claim_stored_runs("gpu-box", 5, LATER, NOW, ("gpu",))
    assert (stored.record.id, stored.owner) == (gpu, "gpu-box")


async def test_a_lost_labelled_run_is_taken_over_only_by_a_claimer_with_its_labels(
    server: ServerStore,
) -> None:
    run_id = await queued(server, "gpu")
    assert await server.claim_runs("gpu-1", 5, LATER, NOW, ("gpu",)) == [run_id]
    after = LATER + 1
    assert await server.claim_runs("cpu-box", 5, after + 30, after) == []
    assert await server.claim_runs("gpu-2", 5, after + 30, after, ("gpu",)) == [run_id]


async def test_labels_go_with_a_deleted_run(server: ServerStore) -> None:
    run_id = await queued(server, "gpu")
    await server.claim_runs("gpu-1", 5, LATER, NOW, ("gpu",))
    await server.commit(run_id, Batch(run=run_row(run_id, "Success", ended_at=NOW)))
    assert await server.delete_runs(NOW + 1) == 1
    assert await server.get_run(run_id) is None
