"""Contract: idempotency keys scoped to their workflow and pipeline; ids by a prefix,
ignoring case."""

from __future__ import annotations

import pytest

from tests.store.factories import approval, new_run, run_row
from xene.store.base import Batch, MachineInstance, Store


# -- idempotency keys --------------------------------------------------------------------
async def test_a_key_used_by_another_workflow_creates_a_run(store: Store) -> None:
    first = new_run(idempotency_key="order-7")
    other = new_run(idempotency_key="order-7", workflow="billing")
    await store.create_run(first)
    assert await store.create_run(other) == (other.id, True)


async def test_a_key_used_by_another_pipeline_creates_a_run(store: Store) -> None:
    first = new_run(idempotency_key="order-7")
    other = new_run(idempotency_key="order-7", pipeline="deploy")
    await store.create_run(first)
    assert await store.create_run(other) == (other.id, True)


async def test_a_key_used_in_the_same_pipeline_names_that_run(store: Store) -> None:
    first = new_run(idempotency_key="order-7")
    await store.create_run(new_run(idempotency_key="order-7", workflow="billing"))
    await store.create_run(first)
    assert await store.create_run(new_run(idempotency_key="order-7")) == (first.id, False)


async def test_a_key_is_free_again_once_its_run_is_deleted(store: Store) -> None:
    first = new_run(idempotency_key="order-7")
    await store.create_run(first)
    await store.commit(first.id, Batch(run=run_row(first.id, "Success", ended_at=1.0)))
    assert await store.delete_runs(2.0) == 1
    again = new_run(idempotency_key="order-7")
    assert await store.create_run(again) == (again.id, True)


# -- ids by a prefix ---------------------------------------------------------------------
@pytest.mark.parametrize("prefix", ["01HXCASE", "01hxcase", "01HxCaSe"])
async def test_run_ids_match_a_prefix_in_any_case(store: Store, prefix: str) -> None:
    for run_id in ("01HXCASE0001", "01HXCASE0002", "01HXOTHER001"):
        await store.create_run(new_run(id=run_id))
    assert await store.find_ids("run", prefix) == ["01HXCASE0001", "01HXCASE0002"]


async def test_find_ids_gives_at_most_limit_in_id_order(store: Store) -> None:
    for n in (3, 1, 2):
        await store.create_run(new_run(id=f"01HXLIMIT{n}"))
    assert await store.find_ids("run", "01hxlimit", limit=2) == ["01HXLIMIT1", "01HXLIMIT2"]


async def test_a_prefix_s_like_wildcards_match_only_themselves(store: Store) -> None:
    run_id, _ = await store.create_run(new_run(id="01HX_A%1"))
    await store.create_run(new_run(id="01HXZAZ1"))
    assert await store.find_ids("run", "01hx_a%") == [run_id]
    assert await store.find_ids("run", "01HX%") == []


async def test_hook_ids_match_a_prefix_in_any_case(store: Store) -> None:
    run_id, _ = await store.create_run(new_run())
    hooks = [approval(run_id, "Deploy-01HXAB12"), approval(run_id, "review-01HXAB12")]
    await store.commit(run_id, Batch(approvals=hooks))
    assert await store.find_ids("hook", "deploy-01hx") == ["Deploy-01HXAB12"]


async def test_instance_ids_match_a_prefix_in_any_case(store: Store) -> None:
    for instance_id in ("01HXLIGHT1", "01HXLIGHT2", "01HXDOOR01"):
        await store.create_instance(MachineInstance(instance_id, "light", "green", 1.0, 1.0))
    assert await store.find_ids("instance", "01hxli") == ["01HXLIGHT1", "01HXLIGHT2"]


async def test_find_ids_of_kinds_that_hold_nothing_is_empty(store: Store) -> None:
    await store.create_run(new_run(id="01HXONLYRUN"))
    assert await store.find_ids("hook", "01hx") == []
    assert await store.find_ids("instance", "01hx") == []
