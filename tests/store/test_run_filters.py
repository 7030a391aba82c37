"""Contract: the runs list's filters beyond workflow, pipeline and state (the web UI's
/runs): trigger, time range and id prefix, alone, together and with paging."""

from __future__ import annotations

from tests.store.factories import new_run
from xene.store.base import BY_HAND, RunFilter, Store

T0 = 1_700_000_000.0


async def _ids(store: Store, **wanted: object) -> list[str]:
    return [r.id for r in await store.list_runs(RunFilter(**wanted))]  # type: ignore[arg-type]


async def test_a_run_keeps_the_trigger_that_queued_it(store: Store) -> None:
    fired, _ = await store.create_run(new_run(trigger="nightly"))
    by_hand, _ = await store.create_run(new_run())
    listed = {r.id: r.trigger for r in await store.list_runs(RunFilter())}
    assert listed == {fired: "nightly", by_hand: None}
    summary = await store.run_summary(fired)
    assert summary is not None
    assert summary.trigger == "nightly"


async def test_list_runs_filters_by_trigger_and_by_none(store: Store) -> None:
    nightly, _ = await store.create_run(new_run(trigger="nightly"))
    await store.create_run(new_run(trigger="push"))
    by_hand, _ = await store.create_run(new_run())
    assert await _ids(store, trigger="nightly") == [nightly]
    assert await _ids(store, trigger=BY_HAND) == [by_hand]
    assert await _ids(store, trigger="never") == []


async def test_list_runs_filters_by_the_time_it_was_created(store: Store) -> None:
    ids = [(await store.create_run(new_run(created_at=T0 + i * 10)))[0] for i in range(4)]
    assert await _ids(store, created_after=T0 + 10) == ids[1:][::-1]
    assert await _ids(store, created_before=T0 + 20) == ids[:2][::-1]
    assert await _ids(store, created_after=T0 + 10, created_before=T0 + 30) == ids[1:3][::-1]
    assert await _ids(store, created_after=T0 + 31) == []


async def test_list_runs_finds_runs_by_the_start_of_their_id(store: Store) -> None:
    wanted = "01hxprefixa00000000000000"
    near = "01hxprefixb00000000000000"
    for run_id in (wanted, near, "01hxother000000000000000"):
        await store.create_run(new_run(id=run_id))
    assert await _ids(store, id_prefix="01hxprefix") == [near, wanted]
    assert await _ids(store, id_prefix="01HXPREFIXA") == [wanted]  # ids are lower case
    assert await _ids(store, id_prefix=wanted) == [wanted]
    assert await _ids(store, id_prefix="01hxz") == []


async def test_filters_combine_and_page_by_cursor(store: Store) -> None:
    fired = []
    for i in range(5):
        run_id, _ = await store.create_run(new_run(trigger="cron", created_at=T0 + i))
        fired.append(run_id)
        await store.create_run(new_run(workflow="other", trigger="cron", created_at=T0 + i))
        await store.create_run(new_run(created_at=T0 + i))
    wanted = {"workflow": "ci", "trigger": "cron", "created_after": T0 + 1, "limit": 2}
    first = await _ids(store, **wanted)
    second = await _ids(store, **wanted, before=first[-1])
    third = await _ids(store, **wanted, before=second[-1])
    assert first + second + third == fired[1:][::-1]
