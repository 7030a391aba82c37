"""Contract: creating runs, committing their changes, reading them back."""

from __future__ import annotations

import asyncio

import pytest

from tests.store.factories import SOURCE, chunk, new_run, node, run_row, step
from xene.core.states import State
from xene.store import open_store
from xene.store.base import Batch, Store


async def test_create_run_returns_its_id_as_created(store: Store) -> None:
    run = new_run()
    assert await store.create_run(run) == (run.id, True)


async def test_a_new_run_is_not_executed_and_has_no_nodes(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    stored = await store.get_run(run_id)
    assert stored is not None
    assert stored.record.state is State.NOT_EXECUTED
    assert stored.record.nodes == {}


async def test_get_run_gives_back_input_source_owner_lease_and_key(store: Store) -> None:
    run = new_run(idempotency_key="delivery-7")
    await store.create_run(run)
    stored = await store.get_run(run.id)
    assert stored is not None
    assert (stored.record.workflow, stored.record.pipeline) == ("ci", "build")
    assert stored.record.input == {"branch": "main"}
    assert stored.source == SOURCE
    assert (stored.owner, stored.lease_until) == (run.owner, run.lease_until)
    assert stored.idempotency_key == "delivery-7"


async def test_get_run_of_an_unknown_id_is_none(store: Store) -> None:
    assert await store.get_run("01HXNOSUCHRUN") is None


async def test_create_run_with_a_used_idempotency_key_returns_the_first_run(
    store: Store,
) -> None:
    first = new_run(idempotency_key="k")
    await store.create_run(first)
    assert await store.create_run(new_run(idempotency_key="k")) == (first.id, False)
    assert len(await store.unfinished_runs()) == 1


async def test_concurrent_create_run_with_one_key_makes_one_run(store: Store) -> None:
    runs = [new_run(idempotency_key="webhook-42") for _ in range(5)]
    results = await asyncio.gather(*(store.create_run(run) for run in runs))
    assert len({run_id for run_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    assert len(await store.unfinished_runs()) == 1


async def test_runs_without_a_key_are_all_created(store: Store) -> None:
    for _ in range(3):
        assert (await store.create_run(new_run()))[1] is True
    assert len(await store.unfinished_runs()) == 3


async def test_commit_updates_the_run_state_error_and_times(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    row = run_row(run_id, "Error", error="boom", ended_at=1_700_000_009.0)
    await store.commit(run_id, Batch(run=row))
    stored = await store.get_run(run_id)
    assert stored is not None
    record = stored.record
    assert (record.state, record.error) == (State.ERROR, "boom")
    assert (record.started_at, record.ended_at) == (1_700_000_001.0, 1_700_000_009.0)


async def test_commit_round_trips_every_node_field(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    row = node(
        "deploy[split=2]", "Success", scope_json='[["split",2]]', attempt=3,
        input_json='{"n":2}', output_json='{"ok":true}', ports_json='["out"]',
        error="warned", ended_at=1_700_000_008.0, progress_json="[3,4]", note="ran again",
    )  # fmt: skip
    await store.commit(run_id, Batch(nodes=[row]))
    stored = await store.get_run(run_id)
    assert stored is not None
    got = stored.record.nodes["deploy[split=2]"]
    assert (got.node_id, got.type, got.scope) == ("deploy", "std::shell", (("split", 2),))
    assert (got.state, got.attempt, got.error) == (State.SUCCESS, 3, "warned")
    assert (got.input, got.output, got.ports) == ({"n": 2}, {"ok": True}, ("out",))
    assert (got.started_at, got.ended_at) == (1_700_000_002.0, 1_700_000_008.0)
    assert (got.progress, got.note) == ((3, 4), "ran again")


async def test_commit_upserts_a_node_by_key(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    await store.commit(run_id, Batch(nodes=[node("a", "Running")]))
    await store.commit(run_id, Batch(nodes=[node("a", "Success", output_json="1")]))
    stored = await store.get_run(run_id)
    assert stored is not None
    assert list(stored.record.nodes) == ["a"]
    assert (stored.record.nodes["a"].state, stored.record.nodes["a"].output) == ("Success", 1)


async def test_a_first_commit_upserts_nodes_another_process_committed_meanwhile(
    store: Store, store_url: str, backend: str
) -> None:
    if backend == "memory":
        pytest.skip("two memory stores share nothing")
    run_id, _ = await store.create_run(new_run())
    other = await open_store(store_url)
    try:
        await other.commit(run_id, Batch(nodes=[node("a", "Running")]))
    finally:
        await other.close()
    await store.commit(run_id, Batch(nodes=[node("b"), node("a", "Success", output_json="1")]))
    stored = await store.get_run(run_id)
    assert stored is not None
    assert [(k, n.state, n.output) for k, n in stored.record.nodes.items()] == [
        ("a", State.SUCCESS, 1),
        ("b", State.RUNNING, None),
    ]


async def test_get_run_lists_nodes_in_the_order_first_committed(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    await store.commit(run_id, Batch(nodes=[node("zeta"), node("alpha")]))
    await store.commit(run_id, Batch(nodes=[node("mid"), node("zeta", "Success")]))
    await store.commit(run_id, Batch(nodes=[node("beta")]))
    stored = await store.get_run(run_id)
    assert stored is not None
    assert list(stored.record.nodes) == ["zeta", "alpha", "mid", "beta"]


async def test_commit_upserts_steps_and_get_run_lists_them_by_index(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    await store.commit(run_id, Batch(nodes=[node("a")], steps=[step("a", 1), step("a", 0)]))
    done = step("a", 1, "Error", exit_code=2, error="exit 2", ended_at=1_700_000_007.0)
    await store.commit(run_id, Batch(steps=[done]))
    stored = await store.get_run(run_id)
    assert stored is not None
    steps = stored.record.nodes["a"].steps
    assert [(s.name, s.state) for s in steps] == [("step0", "Running"), ("step1", "Error")]
    assert (steps[1].exit_code, steps[1].error, steps[1].ended_at) == (2, "exit 2", 1_700_000_007.0)


async def test_commit_of_500_nodes_lands_whole(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    batch = Batch(nodes=[node(f"n{i}") for i in range(500)])
    seen: list[int] = []

    async def watch() -> None:
        for _ in range(10):
            stored = await store.get_run(run_id)
            assert stored is not None
            seen.append(len(stored.record.nodes))

    await asyncio.gather(store.commit(run_id, batch), watch(), watch())
    assert set(seen) <= {0, 500}
    stored = await store.get_run(run_id)
    assert stored is not None
    assert len(stored.record.nodes) == 500


async def test_a_commit_of_many_rows_with_whole_and_missing_times_reads_back_as_committed(
    store: Store,
) -> None:
    run_id, _ = await store.create_run(new_run())
    nodes = [node("a", started_at=1_700_000_002), node("b", started_at=None, attempt=0)]
    nodes.append(node("c", "Success", ended_at=1_700_000_009.5, error="late"))
    steps = [step("a", 0, exit_code=0, started_at=7), step("a", 1, started_at=7.5)]
    await store.commit(run_id, Batch(nodes=nodes, steps=steps))
    stored = await store.get_run(run_id)
    assert stored is not None
    got = stored.record.nodes
    assert [got[k].started_at for k in "abc"] == [1_700_000_002.0, None, 1_700_000_002.0]
    assert [(got[k].attempt, got[k].error, got[k].ended_at) for k in "bc"] == [
        (0, None, None),
        (1, "late", 1_700_000_009.5),
    ]
    assert [(s.exit_code, s.started_at) for s in got["a"].steps] == [(0, 7.0), (None, 7.5)]


async def test_commit_with_a_failing_row_changes_nothing(store: Store, backend: str) -> None:
    if backend == "memory":
        pytest.skip("the memory store does not check rows against a schema")
    run_id, _ = await store.create_run(new_run())
    bad = node("bad", node_id=None)  # NOT NULL in the schema
    batch = Batch(run=run_row(run_id), nodes=[node("good"), bad], lease_until=1_800_000_000.0)
    with pytest.raises(Exception, match=r"(?i)null"):
        await store.commit(run_id, batch)
    stored = await store.get_run(run_id)
    assert stored is not None
    assert (stored.record.state, stored.record.nodes) == (State.NOT_EXECUTED, {})
    assert stored.lease_until == new_run().lease_until


async def test_commit_to_an_unknown_run_raises_key_error(store: Store) -> None:
    with pytest.raises(KeyError):
        await store.commit("01HXNOSUCHRUN", Batch(nodes=[node("a")]))


async def test_a_commit_of_every_kind_of_row_to_an_unknown_run_writes_none(store: Store) -> None:
    missing = "01HXNOSUCHRUN"
    batch = Batch(nodes=[node("a"), node("b")], steps=[step("a", 0), step("a", 1)])
    batch.logs = [chunk(missing, "a", "one"), chunk(missing, "a", "two")]
    with pytest.raises(KeyError):
        await store.commit(missing, batch)
    run_id, _ = await store.create_run(new_run(id=missing))
    stored = await store.get_run(run_id)
    assert stored is not None
    assert (stored.record.nodes, await store.read_logs(run_id)) == ({}, [])


async def test_an_empty_batch_changes_nothing(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    await store.commit(run_id, Batch())
    await store.commit("01HXNOSUCHRUN", Batch())
    stored = await store.get_run(run_id)
    assert stored is not None
    assert stored.record.state is State.NOT_EXECUTED


async def test_commit_extends_the_lease(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    await store.commit(run_id, Batch(lease_until=1_800_000_000.0))
    stored = await store.get_run(run_id)
    assert stored is not None
    assert stored.lease_until == 1_800_000_000.0
