"""Contract: listing runs, unfinished runs, and deleting old ones."""

from __future__ import annotations

from tests.store.factories import approval, chunk, new_run, node, run_row, step
from xene.store.base import Batch, RunFilter, Store

T0 = 1_700_000_000.0


async def _finish(store: Store, run_id: str, state: str = "Success", at: float = T0) -> None:
    await store.commit(run_id, Batch(run=run_row(run_id, state, ended_at=at)))


async def test_list_runs_is_newest_first(store: Store) -> None:
    ids = [(await store.create_run(new_run()))[0] for _ in range(3)]
    assert [r.id for r in await store.list_runs(RunFilter())] == ids[::-1]


async def test_list_runs_summarises_each_run(store: Store) -> None:
    run = new_run()
    await store.create_run(run)
    await store.commit(run.id, Batch(run=run_row(run.id, "Error", error="boom")))
    (summary,) = await store.list_runs(RunFilter())
    assert (summary.id, summary.workflow, summary.pipeline) == (run.id, "ci", "build")
    assert (summary.state, summary.error, summary.created_at) == ("Error", "boom", T0)
    assert (summary.owner, summary.lease_until) == (run.owner, run.lease_until)


async def test_list_runs_filters_by_workflow(store: Store) -> None:
    await store.create_run(new_run(workflow="ci"))
    other, _ = await store.create_run(new_run(workflow="nightly"))
    assert [r.id for r in await store.list_runs(RunFilter(workflow="nightly"))] == [other]


async def test_list_runs_filters_by_pipeline(store: Store) -> None:
    await store.create_run(new_run(pipeline="build"))
    other, _ = await store.create_run(new_run(pipeline="deploy"))
    assert [r.id for r in await store.list_runs(RunFilter(pipeline="deploy"))] == [other]


async def test_list_runs_filters_by_state(store: Store) -> None:
    await store.create_run(new_run())
    failed, _ = await store.create_run(new_run())
    await _finish(store, failed, "Error")
    assert [r.id for r in await store.list_runs(RunFilter(state="Error"))] == [failed]


async def test_list_runs_pages_with_limit_and_before(store: Store) -> None:
    ids = [(await store.create_run(new_run()))[0] for _ in range(5)][::-1]
    first = await store.list_runs(RunFilter(limit=2))
    second = await store.list_runs(RunFilter(limit=2, before=first[-1].id))
    last = await store.list_runs(RunFilter(limit=2, before=second[-1].id))
    assert [r.id for r in first + second + last] == ids


async def test_unfinished_runs_are_the_runs_not_final_oldest_first(store: Store) -> None:
    ids = [(await store.create_run(new_run()))[0] for _ in range(6)]
    states = ["Success", "Error", "Cancelled", "ErrorConfiguring", "Running", "Suspended"]
    for run_id, state in zip(ids, states, strict=True):
        await store.commit(run_id, Batch(run=run_row(run_id, state)))
    assert [r.id for r in await store.unfinished_runs()] == ids[4:]


async def test_delete_runs_deletes_finished_runs_ended_before_the_time(store: Store) -> None:
    old, _ = await store.create_run(new_run())
    recent, _ = await store.create_run(new_run())
    await _finish(store, old, at=T0)
    await _finish(store, recent, at=T0 + 100)
    assert await store.delete_runs(T0 + 50) == 1
    assert await store.get_run(old) is None
    assert await store.get_run(recent) is not None


async def test_delete_runs_keeps_unfinished_runs(store: Store) -> None:
    running, _ = await store.create_run(new_run())
    await store.commit(running, Batch(run=run_row(running, "Running", ended_at=T0)))
    assert await store.delete_runs(T0 + 50) == 0
    assert await store.get_run(running) is not None


async def test_delete_runs_deletes_nodes_steps_logs_and_approvals(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    batch = Batch(
        nodes=[node("a")], steps=[step("a", 0)], logs=[chunk(run_id, "a", "hi")],
        approvals=[approval(run_id)],
    )  # fmt: skip
    await store.commit(run_id, batch)
    await _finish(store, run_id)
    await store.delete_runs(T0 + 1)
    assert await store.read_logs(run_id) == []
    assert await store.get_approval("hook-1") is None
    assert await store.list_approvals(pending=False) == []


async def test_a_deleted_runs_idempotency_key_can_be_used_again(store: Store) -> None:
    old, _ = await store.create_run(new_run(idempotency_key="k"))
    await _finish(store, old)
    await store.delete_runs(T0 + 1)
    again = new_run(idempotency_key="k")
    assert await store.create_run(again) == (again.id, True)
