"""Contract: trigger fires recorded once; state machines and their instances."""

from __future__ import annotations

import asyncio

from xene.store.base import MachineInstance, Store

AT = 1_700_000_060.0
LIGHT = {"initial": "red", "states": {"red": {"on": {"go": "green"}}, "green": {}}}


async def test_record_fire_is_true_the_first_time_only(store: Store) -> None:
    assert await store.record_fire("nightly", "2026-11-01T00:00", AT) is True
    assert await store.record_fire("nightly", "2026-11-01T00:00", AT + 1) is False


async def test_record_fire_keys_are_per_trigger(store: Store) -> None:
    assert await store.record_fire("nightly", "k", AT) is True
    assert await store.record_fire("hourly", "k", AT) is True
    assert await store.record_fire("nightly", "k2", AT) is True


async def test_concurrent_fires_of_one_key_have_one_winner(store: Store) -> None:
    results = await asyncio.gather(*(store.record_fire("cron", "k", AT) for _ in range(5)))
    assert sorted(results) == [False] * 4 + [True]


async def test_define_machine_then_get_it_back(store: Store) -> None:
    assert await store.define_machine("light", LIGHT, AT) is True
    assert await store.get_machine("light") == LIGHT


async def test_define_machine_refuses_a_name_defined_already(store: Store) -> None:
    await store.define_machine("light", LIGHT, AT)
    assert await store.define_machine("light", {"initial": "off"}, AT) is False
    assert await store.get_machine("light") == LIGHT


async def test_get_machine_of_an_unknown_name_is_none(store: Store) -> None:
    assert await store.get_machine("nope") is None


async def test_list_machines_is_sorted_by_name(store: Store) -> None:
    for name in ("b", "c", "a"):
        await store.define_machine(name, LIGHT, AT)
    assert await store.list_machines() == ["a", "b", "c"]


def _instance(id: str, machine: str = "light", at: float = AT) -> MachineInstance:
    return MachineInstance(id=id, machine=machine, state="red", created_at=at, updated_at=at)


async def test_create_instance_then_get_it_back(store: Store) -> None:
    await store.create_instance(_instance("i1"))
    assert await store.get_instance("i1") == _instance("i1")


async def test_get_instance_of_an_unknown_id_is_none(store: Store) -> None:
    assert await store.get_instance("nope") is None


async def test_move_instance_changes_state_and_adds_history(store: Store) -> None:
    await store.create_instance(_instance("i1"))
    assert await store.move_instance("i1", "go", "red", "green", AT + 1) is True
    assert await store.move_instance("i1", "stop", "green", "red", AT + 2) is True
    got = await store.get_instance("i1")
    assert got is not None
    assert (got.state, got.updated_at) == ("red", AT + 2)
    assert got.history == (("go", "red", "green", AT + 1), ("stop", "green", "red", AT + 2))


async def test_move_instance_from_a_state_it_is_not_in_changes_nothing(store: Store) -> None:
    await store.create_instance(_instance("i1"))
    assert await store.move_instance("i1", "stop", "green", "red", AT + 1) is False
    assert await store.get_instance("i1") == _instance("i1")


async def test_move_instance_of_an_unknown_id_is_false(store: Store) -> None:
    assert await store.move_instance("nope", "go", "red", "green", AT) is False


async def test_concurrent_moves_from_one_state_have_one_winner(store: Store) -> None:
    await store.create_instance(_instance("i1"))
    moves = [store.move_instance("i1", "go", "red", f"s{i}", AT + 1) for i in range(5)]
    assert sorted(await asyncio.gather(*moves)) == [False] * 4 + [True]
    got = await store.get_instance("i1")
    assert got is not None
    assert len(got.history) == 1


async def test_list_instances_gives_a_machines_instances_oldest_first(store: Store) -> None:
    await store.create_instance(_instance("late", at=AT + 5))
    await store.create_instance(_instance("early", at=AT))
    await store.create_instance(_instance("other", machine="door"))
    await store.move_instance("early", "go", "red", "green", AT + 9)
    found = await store.list_instances("light")
    assert [(i.id, i.state) for i in found] == [("early", "green"), ("late", "red")]
    assert found[0].history == ()


async def test_last_fire_is_the_latest_recorded_fire_of_that_trigger(store: Store) -> None:
    assert await store.last_fire("wf/nightly") is None
    await store.record_fire("wf/nightly", "2026-01-01T02:00:00Z", 100.0)
    await store.record_fire("wf/nightly", "2026-01-02T02:00:00Z", 200.0)
    await store.record_fire("wf/other", "2026-01-03T02:00:00Z", 300.0)
    assert await store.last_fire("wf/nightly") == 200.0
