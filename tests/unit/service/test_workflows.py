"""Applying workflows over the memory store: versions, and what refuses a definition."""

from __future__ import annotations

import pytest

from xene.errors import InvalidDefinition
from xene.ir import Workflow
from xene.service import workflows
from xene.service.errors import Conflict
from xene.store.memory import MemoryStore

CI = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: ci}
spec:
  triggers: {manual: {type: manual}}
  pipelines:
    build:
      trigger: manual
      tasks: {make: {steps: [{name: make, type: shell, cmd: "CMD"}]}}
"""


def none(definition: Workflow) -> list[str]:
    return []


async def test_applying_creates_then_keeps_then_updates_a_version() -> None:
    store = MemoryStore()
    first = await workflows.apply(store, CI.replace("CMD", "make"), "ci.yaml", 1.0, none)
    again = await workflows.apply(store, CI.replace("CMD", "make"), "ci.yaml", 2.0, none)
    changed = await workflows.apply(store, CI.replace("CMD", "make all"), "ci.yaml", 3.0, none)
    assert [a.outcome for a in (first, again, changed)] == ["created", "unchanged", "updated"]
    assert [a.workflow.version for a in (first, again, changed)] == [1, 1, 2]
    assert changed.definition.name == "ci"


async def test_the_caller_s_trigger_problems_refuse_it_and_nothing_is_kept() -> None:
    store = MemoryStore()
    with pytest.raises(Conflict, match="no room; no time"):
        await workflows.apply(store, CI, "ci.yaml", 1.0, lambda d: ["no room", "no time"])
    assert await store.get_workflow("ci") is None


async def test_a_secret_the_store_does_not_hold_is_located() -> None:
    text = CI.replace('"CMD"', '"deploy"}], secrets: [TOKEN]').replace("}]}}", "}}")
    with pytest.raises(InvalidDefinition) as refused:
        await workflows.apply(MemoryStore(), text, "ci.yaml", 1.0, none, "here")
    assert "TOKEN" in str(refused.value.problems[0])
    assert "ci.yaml" in str(refused.value.problems[0])
