"""State-machine use cases over the memory store: the rules the CLI and the API share."""

from __future__ import annotations

import itertools

import pytest

from xene.service import machines
from xene.spec.load import load_text
from xene.store.memory import MemoryStore

LIGHT = """\
name: light
state_machine:
  initial_state: green
  events:
    - {name: slow, destination: yellow, sources: [green]}
    - {name: stop, destination: red, sources: [yellow]}
"""
ids = itertools.count()


def new_id(at: float) -> str:
    return f"i{next(ids)}"


async def defined() -> MemoryStore:
    store = MemoryStore()
    await machines.define(store, load_text(LIGHT, "light.yaml"), "light.yaml", LIGHT, 1.0)
    return store


async def test_a_machine_is_defined_once() -> None:
    store = await defined()
    with pytest.raises(machines.Refused, match="'light' is defined already"):
        await machines.define(store, load_text(LIGHT, "light.yaml"), "light.yaml", LIGHT, 2.0)


async def test_a_new_instance_starts_in_the_initial_state_with_no_run_asked() -> None:
    entered = await machines.start(await defined(), "light", 1.0, new_id)
    assert (entered.state, entered.on_enter, entered.problem) == ("green", None, None)


async def test_an_allowed_event_moves_the_instance_and_a_refused_one_says_what_is_allowed() -> None:
    store = await defined()
    instance = (await machines.start(store, "light", 1.0, new_id)).instance
    with pytest.raises(machines.Refused) as refused:
        await machines.send(store, instance, "stop", 2.0)
    assert refused.value.available == ("slow",)
    moved = await machines.send(store, instance, "slow", 3.0)
    assert moved.state == "yellow"
    stored = await store.get_instance(instance.id)
    assert stored is not None
    assert stored.state == "yellow"


async def test_an_event_on_a_stale_instance_is_refused_and_changes_nothing() -> None:
    store = await defined()
    instance = (await machines.start(store, "light", 1.0, new_id)).instance
    await machines.send(store, instance, "slow", 2.0)
    with pytest.raises(machines.Refused, match="moved meanwhile to 'yellow'") as refused:
        await machines.send(store, instance, "slow", 3.0)  # as it was before the move
    assert refused.value.available == ("stop",)


async def test_an_unknown_machine_is_named_with_the_defined_ones() -> None:
    with pytest.raises(machines.NoSuchMachine, match="defined: light"):
        await machines.get(await defined(), "lamp")
