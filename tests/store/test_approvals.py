"""Contract: approvals (durable, waiting for a person) and their once-only decisions."""

from __future__ import annotations

import asyncio

from tests.store.factories import approval, new_run
from xene.core.states import Decision
from xene.store.base import ApprovalRecord, Batch, Store

AT = 1_700_000_050.0


async def _suspend(store: Store, *approvals: ApprovalRecord) -> None:
    for s in approvals:
        await store.commit(s.run_id, Batch(approvals=[s]))


async def _run(store: Store) -> str:
    return (await store.create_run(new_run()))[0]


async def test_a_committed_approval_reads_back_whole(store: Store) -> None:
    sent = approval(await _run(store), timeout_at=AT + 60)
    await _suspend(store, sent)
    assert await store.get_approval("hook-1") == sent


async def test_get_approval_of_an_unknown_hook_is_none(store: Store) -> None:
    assert await store.get_approval("no-such-hook") is None


async def test_list_approvals_gives_the_pending_ones_oldest_first(store: Store) -> None:
    run_id = await _run(store)
    late = approval(run_id, "late", created_at=AT + 1)
    early = approval(run_id, "early", created_at=AT)
    await _suspend(store, late, early)
    assert [s.hook_id for s in await store.list_approvals()] == ["early", "late"]


async def test_list_approvals_leaves_out_decided_ones_unless_asked(store: Store) -> None:
    run_id = await _run(store)
    await _suspend(store, approval(run_id, "a"), approval(run_id, "b"))
    await store.decide("a", Decision.APPROVE, None, "", AT)
    assert [s.hook_id for s in await store.list_approvals()] == ["b"]
    assert [s.hook_id for s in await store.list_approvals(pending=False)] == ["a", "b"]


async def test_decide_records_the_decision_and_returns_the_approval(store: Store) -> None:
    await _suspend(store, approval(await _run(store)))
    decided = await store.decide("hook-1", Decision.REJECT, {"amount": 3}, "too much", AT)
    assert decided is not None
    assert (decided.decision, decided.data) == (Decision.REJECT, {"amount": 3})
    assert (decided.reason, decided.decided_at) == ("too much", AT)
    assert await store.get_approval("hook-1") == decided


async def test_decide_a_second_time_changes_nothing(store: Store) -> None:
    await _suspend(store, approval(await _run(store)))
    first = await store.decide("hook-1", Decision.APPROVE, None, "", AT)
    assert await store.decide("hook-1", Decision.REJECT, None, "late", AT + 1) is None
    assert await store.get_approval("hook-1") == first


async def test_decide_an_unknown_hook_is_none(store: Store) -> None:
    assert await store.decide("no-such-hook", Decision.APPROVE, None, "", AT) is None


async def test_concurrent_decisions_have_one_winner(store: Store) -> None:
    await _suspend(store, approval(await _run(store)))
    choices = [*Decision, *Decision]
    decisions = [store.decide("hook-1", d, None, f"d{i}", AT) for i, d in enumerate(choices)]
    results = await asyncio.gather(*decisions)
    winners = [r for r in results if r is not None]
    assert len(winners) == 1
    assert await store.get_approval("hook-1") == winners[0]


async def test_committing_an_approval_again_keeps_its_decision(store: Store) -> None:
    run_id = await _run(store)
    await _suspend(store, approval(run_id))
    decided = await store.decide("hook-1", Decision.APPROVE, None, "", AT)
    await _suspend(store, approval(run_id, metadata={"fields": ["changed"]}))
    again = await store.get_approval("hook-1")
    assert again is not None
    assert decided is not None
    assert (again.decision, again.decided_at) == (Decision.APPROVE, AT)
    assert again.metadata == {"fields": ["changed"]}
