"""Pipeline modes over the memory store: what pausing, draining and resuming allow."""

from __future__ import annotations

import pytest

from tests.unit.service.test_workflows import CI
from xene.service import pipelines
from xene.service.errors import Conflict, NotFound
from xene.spec.load import load_text
from xene.store.memory import MemoryStore

WORKFLOW = load_text(CI.replace("CMD", "make"), "ci.yaml")


async def test_a_paused_pipeline_refuses_runs_until_resumed() -> None:
    store = MemoryStore()
    await pipelines.refuse_unless_active(store, WORKFLOW, "build")
    await pipelines.set_mode(store, WORKFLOW, "build", pipelines.ACTIONS["pause"], 1.0)
    with pytest.raises(Conflict, match="ci/build is paused: resume it first"):
        await pipelines.refuse_unless_active(store, WORKFLOW, "build")
    await pipelines.set_mode(store, WORKFLOW, "build", pipelines.ACTIONS["resume"], 2.0)
    await pipelines.refuse_unless_active(store, WORKFLOW, "build")


async def test_a_draining_pipeline_says_so() -> None:
    store = MemoryStore()
    await pipelines.set_mode(store, WORKFLOW, "build", "draining", 1.0)
    with pytest.raises(Conflict, match="is draining"):
        await pipelines.refuse_unless_active(store, WORKFLOW, "build")


async def test_an_unknown_pipeline_names_the_ones_there_are() -> None:
    with pytest.raises(NotFound, match="no pipeline 'test'; it has: build"):
        await pipelines.set_mode(MemoryStore(), WORKFLOW, "test", "paused", 1.0)


async def test_an_unknown_mode_changes_nothing() -> None:
    store = MemoryStore()
    with pytest.raises(Conflict, match="unknown mode 'asleep'"):
        await pipelines.set_mode(store, WORKFLOW, "build", "asleep", 1.0)
    assert await store.pipeline_modes("ci") == {}
