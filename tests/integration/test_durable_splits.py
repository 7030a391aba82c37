"""Splits kept in a store: each item costs the same however many items there are."""

from __future__ import annotations

import pytest

from tests.conftest import FakeClock
from xene.core.records import Listener, NodeRecord, RunRecord
from xene.engine import constructs
from xene.engine.durable import start_run
from xene.engine.options import EngineOptions
from xene.ir import Edge, Node, Pipeline
from xene.store.base import Batch, RunSource
from xene.store.memory import MemoryStore

SOURCE = RunSource("", "", "python", "wf", "split")


class Batches(MemoryStore):
    """A memory store that keeps every batch committed to it."""

    def __init__(self) -> None:
        super().__init__()
        self.batches: list[Batch] = []

    async def commit(self, run_id: str, batch: Batch) -> None:
        self.batches.append(batch)
        await super().commit(run_id, batch)


class OpenItems(Listener):
    """The most split items whose body had begun and not yet ended, at any moment."""

    def __init__(self) -> None:
        self.open: set[str] = set()
        self.most = 0

    def node_changed(self, run: RunRecord, node: NodeRecord) -> None:
        if not node.scope:
            return
        if node.state.finished:
            self.open.discard(node.key)
        else:
            self.open.add(node.key)
        self.most = max(self.most, len(self.open))


def split(concurrency: int) -> Pipeline:
    """Items through a std::log body that is not inline (it has a timeout)."""
    return Pipeline(
        "split",
        nodes=(
            Node("split", "std::split", config={"field": "items"}),
            Node("body", "std::log", config={"message": "${split.item}"}, timeout_s=30),
            Node("join", "std::json_dynamic", config={"operation": "passthrough"}),
        ),
        edges=(Edge("split", "body"), Edge("split", "join", port="done")),
        max_concurrency=concurrency,
    )


async def run_split(store: MemoryStore, items: int, concurrency: int, *more: Listener) -> RunRecord:
    options = EngineOptions(clock=FakeClock(), listeners=more)
    execution, _ = await start_run(
        store, split(concurrency), {"items": list(range(items))}, SOURCE, options
    )
    return await execution.execute()


async def test_each_item_ended_commits_the_splits_progress_not_its_row() -> None:
    store = Batches()
    run = await run_split(store, 40, 2)
    assert run.nodes["join"].output == list(range(40))
    split_rows = [n for b in store.batches for n in b.nodes if n.key == "split"]
    progress = [p.progress_json for b in store.batches for p in b.progress if p.key == "split"]
    assert len(split_rows) <= 3  # begun, and ended (its results): never once per item
    assert len(progress) >= 19  # items end two at a time; the last count comes with its row
    stored = await store.get_run(run.id)
    assert stored is not None
    assert stored.record.nodes["split"].progress == (40, 40)


async def test_a_split_opens_its_items_as_earlier_ones_end(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(constructs, "OPEN_ITEMS", 3)
    opened = OpenItems()
    run = await run_split(Batches(), 20, 1, opened)
    assert opened.most == 3
    assert run.nodes["join"].output == list(range(20))


async def test_a_large_splits_progress_is_committed_by_hundredths() -> None:
    store = Batches()
    await run_split(store, 1000, 8)
    progress = [p for b in store.batches for p in b.progress if p.key == "split"]
    assert 90 <= len(progress) <= 100
