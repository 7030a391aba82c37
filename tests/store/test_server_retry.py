"""Contract: retrying, requeueing and cancelling runs (`ServerStore`)."""

from __future__ import annotations

import time

import pytest

from tests.store.factories import new_run, node, run_row, step
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


async def queued(store: ServerStore) -> str:
    run_id, _ = await store.create_run(new_run(state="WaitingForExecutor", owner="", lease_until=0))
    return run_id


async def ended(store: ServerStore, state: str, **changes: object) -> str:
    """A run owned by `agent:1` that ended in `state`."""
    run_id, _ = await store.create_run(new_run(owner="agent:1", lease_until=LATER))
    await store.commit(run_id, Batch(run=run_row(run_id, state, ended_at=NOW, **changes)))
    return run_id


async def with_state(store: ServerStore, state: str) -> str:
    run_id, _ = await store.create_run(new_run(owner="agent:1", lease_until=LATER))
    await store.commit(run_id, Batch(run=run_row(run_id, state)))
    return run_id


# -- retry -----------------------------------------------------------------------------
async def test_retry_forgets_all_but_successes_and_handled_errors(server: ServerStore) -> None:
    run_id, _ = await server.create_run(new_run(owner="agent:1", lease_until=LATER))
    nodes = [
        node("checkout", "Success", ended_at=NOW),
        node("lint", "Error", ports_json='["error"]', error="handled", ended_at=NOW),
        node("build", "Error", error="exit 2", ended_at=NOW),
        node("test", "Cancelled"),
        node("notify", "Skipped"),
        node("deploy", "NotExecuted"),
        node("tail", "Running"),
    ]
    steps = [step(n.key, i, n.state) for n in nodes for i in (0, 1)]
    failed = run_row(run_id, "Error", error="build failed", ended_at=NOW)
    await server.commit(run_id, Batch(run=failed, nodes=nodes, steps=steps))
    assert await server.retry_run(run_id) is True
    stored = await server.get_run(run_id)
    assert stored is not None
    assert list(stored.record.nodes) == ["checkout", "lint"]
    for kept in stored.record.nodes.values():
        assert [s.name for s in kept.steps] == ["step0", "step1"]
    assert stored.record.nodes["lint"].ports == ("error",)


async def test_retry_queues_the_run_unowned_without_its_error(server: ServerStore) -> None:
    run_id = await ended(server, "Error", error="build failed")
    assert await server.retry_run(run_id) is True
    stored = await server.get_run(run_id)
    assert stored is not None
    record = stored.record
    assert (str(record.state), record.error, record.ended_at) == ("WaitingForExecutor", None, None)
    assert record.started_at == 1_700_000_001.0
    assert (stored.owner, stored.lease_until) == ("", 0.0)
    assert await server.claim_runs("agent:2", 5, LATER, NOW) == [run_id]


async def test_retry_takes_a_cancelled_run_and_clears_its_cancel_request(
    server: ServerStore,
) -> None:
    run_id = await with_state(server, "Running")
    assert await server.request_cancel(run_id) is True
    await server.commit(run_id, Batch(run=run_row(run_id, "Cancelled", ended_at=NOW)))
    assert await server.retry_run(run_id) is True
    assert await server.cancel_requested(run_id) is False


@pytest.mark.parametrize("state", ["Success", "ErrorConfiguring", "Running", "Suspended"])
async def test_retry_refuses_a_run_that_did_not_fail(server: ServerStore, state: str) -> None:
    run_id = await ended(server, state)
    await server.commit(run_id, Batch(nodes=[node("build", "Error")]))
    assert await server.retry_run(run_id) is False
    stored = await server.get_run(run_id)
    assert stored is not None
    assert (str(stored.record.state), list(stored.record.nodes)) == (state, ["build"])


async def test_retry_of_an_unknown_run_is_false(server: ServerStore) -> None:
    assert await server.retry_run("01HXNOSUCHRUN") is False


async def test_retry_leaves_the_nodes_of_other_runs(server: ServerStore) -> None:
    run_id = await ended(server, "Error")
    other = await ended(server, "Error")
    await server.commit(run_id, Batch(nodes=[node("build", "Error")]))
    await server.commit(other, Batch(nodes=[node("build", "Error")], steps=[step("build", 0)]))
    assert await server.retry_run(run_id) is True
    stored = await server.get_run(other)
    assert stored is not None
    assert [s.name for s in stored.record.nodes["build"].steps] == ["step0"]


# -- requeue ---------------------------------------------------------------------------
async def test_requeue_queues_a_suspended_run_unowned(server: ServerStore) -> None:
    run_id = await with_state(server, "Suspended")
    assert await server.requeue_run(run_id) is True
    stored = await server.get_run(run_id)
    assert stored is not None
    assert (str(stored.record.state), stored.owner, stored.lease_until) == (
        "WaitingForExecutor", "", 0.0,
    )  # fmt: skip


@pytest.mark.parametrize("state", ["Running", "WaitingForExecutor", "Success", "Error"])
async def test_requeue_refuses_a_run_that_is_not_suspended(server: ServerStore, state: str) -> None:
    run_id = await with_state(server, state)
    assert await server.requeue_run(run_id) is False
    assert await server.requeue_run("01HXNOSUCHRUN") is False


# -- cancel ----------------------------------------------------------------------------
async def test_cancelling_an_unclaimed_queued_run_cancels_it_at_once(server: ServerStore) -> None:
    run_id = await queued(server)
    before = time.time()
    assert await server.request_cancel(run_id) is True
    stored = await server.get_run(run_id)
    assert stored is not None
    assert str(stored.record.state) == "Cancelled"
    assert stored.record.ended_at is not None
    assert before <= stored.record.ended_at <= time.time()
    assert await server.claim_runs("agent:1", 5, LATER, NOW) == []


@pytest.mark.parametrize("claimed", [False, True], ids=["running", "claimed-queued"])
async def test_cancelling_an_executed_run_asks_its_executor(
    server: ServerStore, claimed: bool
) -> None:
    if claimed:
        run_id = await queued(server)
        assert await server.claim_runs("agent:1", 1, LATER, NOW) == [run_id]
    else:
        run_id = await with_state(server, "Running")
    assert await server.cancel_requested(run_id) is False
    assert await server.request_cancel(run_id) is True
    assert await server.cancel_requested(run_id) is True
    stored = await server.get_run(run_id)
    assert stored is not None
    assert str(stored.record.state) != "Cancelled"
    assert stored.owner == "agent:1"


@pytest.mark.parametrize("state", ["Success", "Error", "Cancelled", "ErrorConfiguring"])
async def test_cancelling_a_finished_run_is_false(server: ServerStore, state: str) -> None:
    run_id = await ended(server, state)
    assert await server.request_cancel(run_id) is False
    assert await server.cancel_requested(run_id) is False


async def test_cancelling_an_unknown_run_is_false(server: ServerStore) -> None:
    assert await server.request_cancel("01HXNOSUCHRUN") is False
    assert await server.cancel_requested("01HXNOSUCHRUN") is False
