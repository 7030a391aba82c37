"""GET /api/v1/runs's filters beyond workflow, pipeline and state: the trigger that queued
a run (kept from a webhook's fire), by hand, created after/before, an id's start."""

from __future__ import annotations

import httpx

from tests.integration.api.conftest import apply, shell_workflow, trigger, wait_run


async def _ids(client: httpx.AsyncClient, **params: str) -> list[str]:
    listed = await client.get("/api/v1/runs", params=params)
    assert listed.status_code == 200, listed.text
    return [r["id"] for r in listed.json()["runs"]]


async def test_runs_are_listed_by_the_trigger_that_queued_them(
    client: httpx.AsyncClient,
) -> None:
    await apply(client, shell_workflow("hooked", "true", trigger="webhook"))
    fired = await client.post("/api/v1/hooks/hooked/go", json={"ref": "main"})
    assert fired.status_code == 202, fired.text
    (from_hook,) = fired.json()["runs"]
    by_hand = await trigger(client, "hooked", "main")
    for run_id in (from_hook, by_hand):
        await wait_run(client, run_id)
    listed = (await client.get("/api/v1/runs")).json()["runs"]
    assert {r["id"]: r["trigger"] for r in listed} == {from_hook: "go", by_hand: None}
    assert await _ids(client, trigger="go") == [from_hook]
    assert await _ids(client, trigger="-") == [by_hand]
    assert await _ids(client, trigger="") == [by_hand, from_hook]  # a form's "any"


async def test_runs_are_listed_by_time_and_by_the_start_of_their_id(
    client: httpx.AsyncClient,
) -> None:
    await apply(client, shell_workflow("quick", "true"))
    run_id = await trigger(client, "quick", "main")
    run = await wait_run(client, run_id)
    listed = (await client.get("/api/v1/runs")).json()["runs"]
    created = listed[0]["created_at"]
    assert await _ids(client, created_after=str(created)) == [run_id]
    assert await _ids(client, created_before=str(created)) == []
    assert await _ids(client, created_after="2999-01-01T00:00:00Z") == []
    assert await _ids(client, created_before="2999-01-01T00:00") == [run_id]  # UTC
    assert await _ids(client, id=run_id[:12].upper()) == [run_id]
    assert await _ids(client, id="zzzz") == []
    assert run["state"] == "Success"


async def test_a_time_that_is_not_one_is_refused_saying_how_to_write_it(
    client: httpx.AsyncClient,
) -> None:
    refused = await client.get("/api/v1/runs", params={"created_after": "yesterday"})
    assert refused.status_code == 422
    assert "ISO 8601" in refused.json()["error"]
    assert "created_after='yesterday'" in refused.json()["error"]
