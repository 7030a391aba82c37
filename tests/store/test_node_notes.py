"""Contract: a node's note (migration 0015) is kept with the node, changed with it, and
set back by a retry; and it crosses to an agent and back in the run's wire forms."""

from __future__ import annotations

import json

import pytest

from tests.store.factories import new_run, node, run_row
from xene.core.states import State
from xene.server import agent_batches
from xene.store import wire
from xene.store.base import Batch, RetryRequest, ServerStore, Store
from xene.store.memory import MemoryStore
from xene.store.sql import SqlStore

AGAIN = "ran again in a new container: the run's container was gone when it resumed"


async def notes(store: Store, run_id: str) -> dict[str, str | None]:
    stored = await store.get_run(run_id)
    assert stored is not None
    return {key: n.note for key, n in stored.record.nodes.items()}


async def test_a_node_s_note_is_kept_and_a_node_without_one_has_none(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    await store.commit(run_id, Batch(nodes=[node("build", note=AGAIN), node("test")]))
    assert await notes(store, run_id) == {"build": AGAIN, "test": None}


async def test_a_node_committed_again_keeps_the_note_it_is_committed_with(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    await store.commit(run_id, Batch(nodes=[node("build")]))
    await store.commit(run_id, Batch(nodes=[node("build", "Success", note=AGAIN)]))
    assert await notes(store, run_id) == {"build": AGAIN}
    await store.commit(run_id, Batch(nodes=[node("build", "Success")]))
    assert await notes(store, run_id) == {"build": None}


async def test_notes_of_many_nodes_in_one_commit_land_on_theirs(store: Store) -> None:
    """Many rows go in one statement of arrays on PostgreSQL: each note to its node."""
    run_id, _ = await store.create_run(new_run())
    first = [node(f"n{i}", note=f"note {i}" if i % 3 else None) for i in range(60)]
    await store.commit(run_id, Batch(nodes=first))
    more = [node(f"n{i}", "Success", note=f"again {i}") for i in range(0, 60, 2)]
    await store.commit(run_id, Batch(nodes=[*more, node("late", note="late")]))
    found = await notes(store, run_id)
    assert found["late"] == "late"
    for i in range(60):
        expected = f"again {i}" if i % 2 == 0 else (f"note {i}" if i % 3 else None)
        assert found[f"n{i}"] == expected


async def test_a_retry_sets_the_note_of_a_node_it_runs_again_back(store: Store) -> None:
    assert isinstance(store, MemoryStore | SqlStore)
    server: ServerStore = store
    run_id, _ = await server.create_run(new_run(owner="agent:1", lease_until=2e9))
    nodes = [node("checkout", "Success", note=AGAIN), node("build", "Error", note=AGAIN)]
    await server.commit(run_id, Batch(run=run_row(run_id, "Error"), nodes=nodes))
    assert await server.retry_run(run_id, RetryRequest("alice", 1e9, ("build",))) is not None
    assert await notes(server, run_id) == {"checkout": AGAIN, "build": None}


async def test_a_note_crosses_to_an_agent_and_back(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    await store.commit(run_id, Batch(nodes=[node("build", "Success", note=AGAIN)]))
    stored = await store.get_run(run_id)
    assert stored is not None
    sent = json.loads(json.dumps(wire.stored_run_json(stored)))
    assert wire.stored_run_of(sent).record.nodes["build"].note == AGAIN
    batch = Batch(nodes=[node("build", "Success", note=AGAIN)])
    body = {"epoch": 1, "commits": [{"seq": 1, "batch": wire.batch_json(batch)}]}
    (received,) = agent_batches.batches(run_id, agent_batches.parse(json.dumps(body).encode()))
    assert received.nodes[0].note == AGAIN


@pytest.mark.parametrize("note", [None, AGAIN])
def test_an_agent_s_batch_without_a_note_is_read_as_a_node_without_one(note: str | None) -> None:
    """An agent of the version before notes sends no `note`: its rows are still valid."""
    row = wire.batch_json(Batch(nodes=[node("build", note=note)]))["nodes"][0]
    row.pop("note")
    body = {"epoch": 1, "commits": [{"seq": 1, "batch": {"nodes": [row]}}]}
    (received,) = agent_batches.batches("r", agent_batches.parse(json.dumps(body).encode()))
    assert received.nodes[0].note is None
    assert received.nodes[0].state is State.RUNNING


def test_a_note_reaches_a_client_of_the_server_s_api() -> None:
    """`xene show --server` prints it as a local `xene show` does."""
    from xene.client import records
    from xene.core.records import NodeRecord
    from xene.server.api.models import NodeOut

    node = NodeRecord(key="build", node_id="build", type="xene::task", note=AGAIN)
    served = NodeOut.model_validate(node.to_dict()).model_dump(mode="json")
    assert records.node_record(served).note == AGAIN
    served.pop("note")
    assert records.node_record(served).note is None
