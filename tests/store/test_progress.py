"""Contract: a split's or loop's progress committed alone, without its whole row."""

from __future__ import annotations

from tests.store.factories import new_run, node
from xene.store.base import Batch, NodeProgress, Store


async def test_committed_progress_changes_only_the_progress_of_the_row(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    row = node("split", input_json='{"items":[1,2,3]}', progress_json="[0,3]")
    await store.commit(run_id, Batch(nodes=[row]))
    await store.commit(run_id, Batch(progress=[NodeProgress("split", "[2,3]")]))
    stored = await store.get_run(run_id)
    assert stored is not None
    got = stored.record.nodes["split"]
    assert got.progress == (2, 3)
    assert (got.input, str(got.state)) == ({"items": [1, 2, 3]}, "Running")


async def test_progress_in_the_batch_of_the_rows_first_commit_is_applied_after_it(
    store: Store,
) -> None:
    run_id, _ = await store.create_run(new_run())
    batch = Batch(
        nodes=[node("loop", progress_json="[0,0]")], progress=[NodeProgress("loop", "[1,1]")]
    )
    await store.commit(run_id, batch)
    stored = await store.get_run(run_id)
    assert stored is not None
    assert stored.record.nodes["loop"].progress == (1, 1)


async def test_progress_of_a_node_never_committed_changes_nothing(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    await store.commit(run_id, Batch(progress=[NodeProgress("ghost", "[1,2]")]))
    stored = await store.get_run(run_id)
    assert stored is not None
    assert stored.record.nodes == {}


async def test_a_batch_of_progress_alone_is_not_empty() -> None:
    assert Batch(progress=[NodeProgress("split", "[1,2]")])
