"""Deciding approvals over the memory store: the rules `xene approve` and the API share."""

from __future__ import annotations

import pytest

from tests.store.factories import approval, new_run
from xene.service import approvals
from xene.service.errors import NotFound
from xene.store.base import Batch
from xene.store.memory import MemoryStore


async def waiting(*records: object, **changes: object) -> MemoryStore:
    store = MemoryStore()
    run_id, _ = await store.create_run(new_run())
    hooks = [approval(run_id, str(hook), **changes) for hook in records or ("hook-1",)]
    await store.commit(run_id, Batch(approvals=hooks))
    return store


async def test_a_decision_is_recorded_with_its_data_and_reason() -> None:
    store = await waiting()
    decided = await approvals.decide(store, "hook-1", "reject", {"to": "ops"}, "no", 5.0)
    assert (decided.decision, decided.data, decided.reason) == ("reject", {"to": "ops"}, "no")
    assert await store.get_approval("hook-1") == decided


async def test_the_first_decision_stands_and_a_second_says_which_it_was() -> None:
    store = await waiting()
    await approvals.decide(store, "hook-1", "approve", None, "", 5.0)
    with pytest.raises(approvals.DecidedAlready, match="hook-1 was decided already: approve"):
        await approvals.decide(store, "hook-1", "reject", None, "", 6.0)
    stored = await store.get_approval("hook-1")
    assert stored is not None
    assert stored.decision == "approve"


async def test_an_unknown_hook_is_not_found() -> None:
    with pytest.raises(NotFound, match="no hook 'nope'"):
        await approvals.decide(await waiting(), "nope", "approve", None, "", 5.0)


async def test_expire_decides_only_the_approvals_past_their_timeout() -> None:
    store = await waiting("late", timeout_at=10.0, timeout_action="escalate")
    assert await approvals.expire(store, 9.0) == []
    (decided,) = await approvals.expire(store, 10.0)
    assert (decided.hook_id, decided.decision, decided.reason) == ("late", "escalate", "timed out")
    assert await approvals.expire(store, 11.0) == []
