"""Contract of `RunReader`: a run read with the records inside splits and loops
summarised, and one node's records read a page at a time; on every backend that reads
runs, a server's `RemoteStore` over its API too."""

from __future__ import annotations

import pytest

from tests.store.conftest import Reading
from tests.store.factories import new_run, node, step
from xene.store.base import Batch, Store
from xene.store.groups import NodeGroup
from xene.store.roles import RunReader

pytestmark = pytest.mark.role.with_args(RunReader)


async def split_run(store: Store) -> str:
    """`fan` once, `price` for three items (one failed, one running), `total` once."""
    run_id, _ = await store.create_run(new_run())
    nodes = [
        node("fan", "Success", ended_at=1_700_000_003.0),
        node("price[fan=0]", "Success", started_at=1_700_000_004.0, ended_at=1_700_000_006.0),
        node("price[fan=1]", "Error", error="boom", started_at=1_700_000_005.0,
             ended_at=1_700_000_007.0),
        node("price[fan=2]", "Running", started_at=1_700_000_008.0),
        node("total", "NotExecuted", started_at=None),
    ]  # fmt: skip
    steps = [step("fan", 0, "Success"), step("price[fan=1]", 0, "Error"), step("price[fan=1]", 1)]
    await store.commit(run_id, Batch(nodes=nodes, steps=steps))
    return run_id


async def test_grouped_the_records_outside_bodies_come_whole_and_those_inside_counted(
    reading: Reading,
) -> None:
    run_id = await split_run(reading.store)
    store = reading.reader
    found = await store.get_run_grouped(run_id)
    assert found is not None
    stored, groups = found
    assert list(stored.record.nodes) == ["fan", "total"]
    assert [s.name for s in stored.record.nodes["fan"].steps] == ["step0"]
    assert stored.record.input == {"branch": "main"}
    assert groups == [
        NodeGroup(
            node="price",
            type="std::shell",
            total=3,
            counts={"Success": 1, "Error": 1, "Running": 1},
            started_at=1_700_000_004.0,
            ended_at=None,  # one still runs
            errors=1,
        )
    ]


async def test_a_group_whose_records_all_ended_ends_with_the_last(reading: Reading) -> None:
    run_id = await split_run(reading.store)
    store = reading.reader
    done = node("price[fan=2]", "Success", started_at=1_700_000_008.0, ended_at=1_700_000_009.0)
    await reading.store.commit(run_id, Batch(nodes=[done]))
    found = await store.get_run_grouped(run_id)
    assert found is not None
    (group,) = found[1]
    assert (group.ended_at, group.counts) == (1_700_000_009.0, {"Success": 2, "Error": 1})


async def test_a_nodes_records_come_a_page_at_a_time_with_their_steps(reading: Reading) -> None:
    run_id = await split_run(reading.store)
    store = reading.reader
    total, first = await store.node_records(run_id, "price", offset=0, limit=2)
    assert total == 3
    assert [r.key for r in first] == ["price[fan=0]", "price[fan=1]"]
    assert [s.name for s in first[1].steps] == ["step0", "step1"]
    assert first[1].error == "boom"
    total, rest = await store.node_records(run_id, "price", offset=2, limit=2)
    assert (total, [r.key for r in rest]) == (3, ["price[fan=2]"])
    stored = await store.get_run(run_id)
    assert stored is not None
    assert await store.node_records(run_id, "fan") == (1, [stored.record.nodes["fan"]])


async def test_an_unknown_run_or_node_has_nothing(reading: Reading) -> None:
    run_id = await split_run(reading.store)
    store = reading.reader
    assert await store.get_run_grouped("gone") is None
    assert await store.node_records("gone", "price") == (0, [])
    assert await store.node_records(run_id, "nope") == (0, [])
