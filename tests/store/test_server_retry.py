"""Contract: retrying, requeueing and cancelling runs (`ServerStore`)."""

from __future__ import annotations

import dataclasses
import time

import pytest

from tests.store.factories import chunk, new_run, node, run_row, step
from xene.store.base import Batch, RetriedNode, RetryRequest, ServerStore, Store
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
def request(*nodes: str, **changes: object) -> RetryRequest:
    return dataclasses.replace(RetryRequest("alice", NOW, tuple(nodes)), **changes)


async def failed_run(store: ServerStore) -> str:
    """A run that ended Error: checkout succeeded, build failed at attempt 3, and test
    never ran; each node has two steps and a log line."""
    run_id, _ = await store.create_run(new_run(owner="agent:1", lease_until=LATER))
    nodes = [
        node("checkout", "Success", output_json='{"sha": "abc"}', ended_at=NOW),
        node("build", "Error", attempt=3, error="exit 2", ended_at=NOW),
        node("test", "NotExecuted", attempt=0, started_at=None),
    ]
    steps = [step(n.key, i, n.state, exit_code=2) for n in nodes for i in (0, 1)]
    logs = [chunk(run_id, n.key, "line") for n in nodes]
    failed = run_row(run_id, "Error", error="build failed", ended_at=NOW)
    await store.commit(run_id, Batch(run=failed, nodes=nodes, steps=steps, logs=logs))
    return run_id


async def test_retry_sets_the_nodes_named_back_and_keeps_their_attempts(
    server: ServerStore,
) -> None:
    run_id = await failed_run(server)
    assert await server.retry_run(run_id, request("build", "test")) is not None
    stored = await server.get_run(run_id)
    assert stored is not None
    nodes = stored.record.nodes
    assert {k: (str(n.state), n.attempt) for k, n in nodes.items()} == {
        "checkout": ("Success", 1), "build": ("NotExecuted", 3), "test": ("NotExecuted", 0),
    }  # fmt: skip
    build = nodes["build"]
    assert (build.error, build.started_at, build.ended_at, build.output) == (None,) * 4
    assert {(s.name, str(s.state), s.exit_code) for s in build.steps} == {
        ("step0", "NotExecuted", None), ("step1", "NotExecuted", None),
    }  # fmt: skip
    assert nodes["checkout"].output == {"sha": "abc"}
    assert [str(s.state) for s in nodes["checkout"].steps] == ["Success", "Success"]


async def test_retry_records_who_when_from_where_and_the_nodes_as_they_were(
    server: ServerStore,
) -> None:
    run_id = await failed_run(server)
    done = await server.retry_run(run_id, request("build", from_node="build"))
    stored = await server.get_run(run_id)
    assert stored is not None
    assert done is not None
    assert stored.retries == (done,)
    assert (done.number, done.by, done.at, done.from_node, done.log_seq) == (
        1, "alice", NOW, "build", 3,
    )  # fmt: skip
    assert done.nodes == (RetriedNode("build", "Error", 3, "exit 2", 1_700_000_002.0, NOW),)


async def test_retries_are_numbered_and_read_back_oldest_first(server: ServerStore) -> None:
    run_id = await failed_run(server)
    await server.retry_run(run_id, request("build"))
    await server.commit(run_id, Batch(run=run_row(run_id, "Cancelled", ended_at=LATER)))
    await server.retry_run(run_id, request("build", by="bob", at=LATER))
    stored = await server.get_run(run_id)
    assert stored is not None
    assert [(r.number, r.by, r.at) for r in stored.retries] == [
        (1, "alice", NOW),
        (2, "bob", LATER),
    ]


async def test_retry_queues_the_run_unowned_without_its_error(server: ServerStore) -> None:
    run_id = await ended(server, "Error", error="build failed")
    assert await server.retry_run(run_id, request()) is not None
    stored = await server.get_run(run_id)
    assert stored is not None
    record = stored.record
    assert (str(record.state), record.error, record.ended_at) == ("WaitingForExecutor", None, None)
    assert record.started_at == 1_700_000_001.0
    assert (stored.owner, stored.lease_until) == ("", 0.0)
    assert await server.claim_runs("agent:2", 5, LATER, NOW) == [run_id]


async def test_a_retry_may_give_the_run_to_the_retrying_process(server: ServerStore) -> None:
    run_id = await ended(server, "Error")
    assert await server.retry_run(run_id, request(owner="me:7", lease_until=LATER)) is not None
    stored = await server.get_run(run_id)
    assert stored is not None
    assert (stored.owner, stored.lease_until) == ("me:7", LATER)
    assert await server.claim_runs("agent:2", 5, LATER, NOW) == []


async def test_retry_takes_a_cancelled_run_and_clears_its_cancel_request(
    server: ServerStore,
) -> None:
    run_id = await with_state(server, "Running")
    assert await server.request_cancel(run_id) is True
    await server.commit(run_id, Batch(run=run_row(run_id, "Cancelled", ended_at=NOW)))
    assert await server.retry_run(run_id, request()) is not None
    assert await server.cancel_requested(run_id) is False


@pytest.mark.parametrize("state", ["Success", "ErrorConfiguring", "Running", "Suspended"])
async def test_retry_refuses_a_run_that_did_not_fail(server: ServerStore, state: str) -> None:
    run_id = await ended(server, state)
    await server.commit(run_id, Batch(nodes=[node("build", "Error")]))
    assert await server.retry_run(run_id, request("build")) is None
    stored = await server.get_run(run_id)
    assert stored is not None
    assert (str(stored.record.state), list(stored.record.nodes)) == (state, ["build"])
    assert str(stored.record.nodes["build"].state) == "Error"
    assert stored.retries == ()


async def test_retry_of_an_unknown_run_is_none(server: ServerStore) -> None:
    assert await server.retry_run("01HXNOSUCHRUN", request()) is None


async def test_retry_leaves_the_nodes_of_other_runs(server: ServerStore) -> None:
    run_id = await ended(server, "Error")
    other = await ended(server, "Error")
    await server.commit(run_id, Batch(nodes=[node("build", "Error")]))
    await server.commit(other, Batch(nodes=[node("build", "Error")], steps=[step("build", 0)]))
    assert await server.retry_run(run_id, request("build")) is not None
    stored = await server.get_run(other)
    assert stored is not None
    assert str(stored.record.nodes["build"].state) == "Error"
    assert [str(s.state) for s in stored.record.nodes["build"].steps] == ["Running"]
    assert stored.retries == ()


async def test_retries_go_with_their_run_when_it_is_deleted(server: ServerStore) -> None:
    run_id = await failed_run(server)
    await server.retry_run(run_id, request("build"))
    await server.commit(run_id, Batch(run=run_row(run_id, "Error", ended_at=NOW)))
    assert await server.delete_runs(LATER) == 1
    again, _ = await server.create_run(new_run(id=run_id))
    stored = await server.get_run(again)
    assert stored is not None
    assert stored.retries == ()


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
