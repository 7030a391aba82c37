"""A run read with its split items and loop turns summarised, and their records paged."""

from __future__ import annotations

import httpx

from tests.integration.api.conftest import apply, trigger, wait_run

BATCH = """\
name: batch
version: "1.0"
nodes:
  fan: {type: std::split, config: {field: items}}
  price: {type: std::log, config: {message: "item ${fan.index}"}}
  total: {type: std::log, config: {message: "all priced"}}
edges:
  - {from: fan.out, to: price}
  - {from: fan.done, to: total}
"""


async def finished_batch(client: httpx.AsyncClient, items: int) -> str:
    await apply(client, BATCH)
    run_id = await trigger(client, "batch", "batch", {"items": list(range(items))})
    assert (await wait_run(client, run_id))["state"] == "Success"
    return run_id


async def test_grouped_a_split_body_is_one_summary_and_the_rest_is_as_ever(
    client: httpx.AsyncClient,
) -> None:
    run_id = await finished_batch(client, 120)
    whole = (await client.get(f"/api/v1/runs/{run_id}")).json()
    assert whole["groups"] is None
    assert len(whole["nodes"]) == 122
    grouped = (await client.get(f"/api/v1/runs/{run_id}", params={"group": "true"})).json()
    assert [n["key"] for n in grouped["nodes"]] == ["fan", "total"]
    (group,) = grouped["groups"]
    assert (group["node"], group["type"], group["total"]) == ("price", "std::log", 120)
    assert group["counts"] == {"Success": 120}
    assert group["errors"] == 0
    prices = [n for n in whole["nodes"] if n["node"] == "price"]
    assert group["started_at"] == min(n["started_at"] for n in prices)
    assert group["ended_at"] == max(n["ended_at"] for n in prices)


async def test_a_nodes_records_come_in_pages_in_the_order_they_began(
    client: httpx.AsyncClient,
) -> None:
    run_id = await finished_batch(client, 120)
    whole = (await client.get(f"/api/v1/runs/{run_id}")).json()
    keys = [n["key"] for n in whole["nodes"] if n["node"] == "price"]
    path = f"/api/v1/runs/{run_id}/nodes/price"
    first = (await client.get(path)).json()
    assert (first["node"], first["total"]) == ("price", 120)
    assert [r["key"] for r in first["records"]] == keys[:50]
    last = (await client.get(path, params={"offset": 100, "limit": 50})).json()
    assert [r["key"] for r in last["records"]] == keys[100:]
    assert last["records"][0]["state"] == "Success"


async def test_records_of_an_unknown_node_or_run_are_a_404(client: httpx.AsyncClient) -> None:
    run_id = await finished_batch(client, 2)
    missing = await client.get(f"/api/v1/runs/{run_id}/nodes/nope")
    assert missing.status_code == 404
    assert "has no node 'nope'" in missing.text
    assert (await client.get("/api/v1/runs/gone/nodes/price")).status_code == 404


async def test_a_page_past_any_store_is_refused_as_bad_input(client: httpx.AsyncClient) -> None:
    run_id = await finished_batch(client, 2)
    asked = await client.get(f"/api/v1/runs/{run_id}/nodes/price", params={"offset": 2**40})
    assert asked.status_code == 422
