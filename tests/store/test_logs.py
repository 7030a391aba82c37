"""Contract: log chunks, numbered by the store in commit order, read back in pages."""

from __future__ import annotations

import asyncio

from tests.store.factories import chunk, new_run
from xene.store.base import Batch, Store


async def _run_with_logs(store: Store, *batches: list[tuple[str, str | None, str]]) -> str:
    run_id, _ = await store.create_run(new_run())
    for lines in batches:
        chunks = [chunk(run_id, node, text, step=step) for node, step, text in lines]
        await store.commit(run_id, Batch(logs=chunks))
    return run_id


async def test_log_seq_increases_across_commits_in_commit_order(store: Store) -> None:
    run_id = await _run_with_logs(
        store, [("a", "s", "one"), ("b", "s", "two")], [("a", "s", "three")]
    )
    logs = await store.read_logs(run_id)
    assert [(c.seq, c.lines) for c in logs] == [(1, ("one",)), (2, ("two",)), (3, ("three",))]


async def test_log_seq_counts_per_run(store: Store) -> None:
    first = await _run_with_logs(store, [("a", "s", "x")])
    second = await _run_with_logs(store, [("a", "s", "y")])
    assert [c.seq for c in await store.read_logs(first)] == [1]
    assert [c.seq for c in await store.read_logs(second)] == [1]


async def test_read_logs_gives_back_every_field_of_a_chunk(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    sent = chunk(run_id, "build", "line 1", "", "line 3", step="compile")
    await store.commit(run_id, Batch(logs=[sent]))
    (got,) = await store.read_logs(run_id)
    assert (got.run_id, got.node, got.step, got.at) == (run_id, "build", "compile", sent.at)
    assert got.lines == ("line 1", "", "line 3")


async def test_a_node_message_has_no_step(store: Store) -> None:
    run_id = await _run_with_logs(store, [("a", None, "note")])
    (got,) = await store.read_logs(run_id)
    assert got.step is None


async def test_a_chunk_without_lines_is_not_stored(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    await store.commit(run_id, Batch(logs=[chunk(run_id, "a"), chunk(run_id, "a", "x")]))
    assert [(c.seq, c.lines) for c in await store.read_logs(run_id)] == [(1, ("x",))]


async def test_read_logs_pages_with_after_and_limit(store: Store) -> None:
    run_id = await _run_with_logs(store, [("a", "s", str(i)) for i in range(5)])
    first = await store.read_logs(run_id, limit=2)
    second = await store.read_logs(run_id, after=first[-1].seq, limit=2)
    third = await store.read_logs(run_id, after=second[-1].seq, limit=2)
    assert [c.lines[0] for c in first + second + third] == ["0", "1", "2", "3", "4"]
    assert await store.read_logs(run_id, after=third[-1].seq) == []


async def test_read_logs_filters_by_node(store: Store) -> None:
    run_id = await _run_with_logs(store, [("a", "s", "1"), ("b", "s", "2"), ("a", "s", "3")])
    assert [c.lines[0] for c in await store.read_logs(run_id, node="a")] == ["1", "3"]


async def test_read_logs_filters_by_step(store: Store) -> None:
    run_id = await _run_with_logs(store, [("a", "s1", "1"), ("a", "s2", "2"), ("a", None, "3")])
    assert [c.lines[0] for c in await store.read_logs(run_id, step="s2")] == ["2"]


async def test_read_logs_of_an_unknown_run_is_empty(store: Store) -> None:
    assert await store.read_logs("01HXNOSUCHRUN") == []


async def test_concurrent_commits_of_one_run_number_their_chunks_in_turn(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    commits = [store.commit(run_id, Batch(logs=[chunk(run_id, "a", str(i))])) for i in range(8)]
    await asyncio.gather(*commits)
    logs = await store.read_logs(run_id)
    assert [c.seq for c in logs] == list(range(1, 9))
    assert sorted(c.lines[0] for c in logs) == [str(i) for i in range(8)]
