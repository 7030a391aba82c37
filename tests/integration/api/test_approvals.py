"""Approvals through the API: a std::wait node suspends its run until decided."""

from __future__ import annotations

import httpx

from tests.integration.api.conftest import apply, trigger, wait_run

GATE = """\
name: deploy
version: "1.0"
nodes:
  gate: {type: std::wait, config: {hook_id: deploy, metadata_fields: [amount]}}
  ship: {type: std::log, config: {message: "shipping ${input.amount}"}}
  stop: {type: std::log, config: {message: "stopped: ${input.approval.reason}"}}
edges:
  - {from: gate, to: ship}
  - {from: gate.rejected, to: stop}
"""


async def suspended(client: httpx.AsyncClient) -> tuple[str, str]:
    await apply(client, GATE)
    run_id = await trigger(client, "deploy", "deploy", {"amount": 3})
    await wait_run(client, run_id, ("Suspended",))
    (waiting,) = (await client.get("/api/v1/approvals")).json()["approvals"]
    assert waiting["run_id"] == run_id
    assert waiting["metadata"] == {"amount": 3}
    assert waiting["decision"] is None
    return run_id, waiting["hook_id"]


async def test_approving_a_waiting_node_completes_the_run_on_out(
    client: httpx.AsyncClient,
) -> None:
    run_id, hook = await suspended(client)
    assert hook.startswith("deploy-")
    decided = await client.post(f"/api/v1/approvals/{hook}/approve", json={"reason": "looks good"})
    assert decided.status_code == 200
    assert decided.json()["decision"] == "approve"
    run = await wait_run(client, run_id)
    assert run["state"] == "Success"
    states = {node["key"]: node["state"] for node in run["nodes"]}
    assert states["ship"] == "Success"
    assert states.get("stop", "NotExecuted") != "Success"
    assert (await client.get("/api/v1/approvals")).json() == {"approvals": []}
    everything = (await client.get("/api/v1/approvals", params={"all": "true"})).json()
    assert [s["reason"] for s in everything["approvals"]] == ["looks good"]


async def test_rejecting_continues_on_rejected_and_a_second_decision_is_409(
    client: httpx.AsyncClient,
) -> None:
    run_id, hook = await suspended(client)
    rejected = await client.post(f"/api/v1/approvals/{hook}/reject", json={"reason": "no"})
    assert rejected.status_code == 200
    run = await wait_run(client, run_id)
    states = {node["key"]: node["state"] for node in run["nodes"]}
    assert states["stop"] == "Success"
    again = await client.post(f"/api/v1/approvals/{hook}/approve")
    assert again.status_code == 409
    assert "decided already" in again.json()["error"]


async def test_unknown_hooks_and_decisions(client: httpx.AsyncClient) -> None:
    unknown = await client.post("/api/v1/approvals/nope/approve")
    assert unknown.status_code == 404
    bad = await client.post("/api/v1/approvals/nope/maybe")
    assert bad.status_code == 422


async def test_the_older_suspensions_routes_still_list_and_decide(
    client: httpx.AsyncClient,
) -> None:
    run_id, hook = await suspended(client)
    (waiting,) = (await client.get("/api/v1/suspensions")).json()["suspensions"]
    assert (waiting["run_id"], waiting["hook_id"]) == (run_id, hook)
    decided = await client.post(f"/api/v1/suspensions/{hook}/approve", json={"reason": "ok"})
    assert decided.status_code == 200
    assert decided.json()["decision"] == "approve"
    assert (await wait_run(client, run_id))["state"] == "Success"
    assert (await client.post(f"/api/v1/suspensions/{hook}/approve")).status_code == 409
    everything = (await client.get("/api/v1/suspensions", params={"all": "true"})).json()
    assert [s["reason"] for s in everything["suspensions"]] == ["ok"]


async def test_cancelling_a_suspended_run_ends_it_and_its_waiting_node(
    client: httpx.AsyncClient,
) -> None:
    """Nobody executes a suspended run: the cancel ends it at once, its waiting node
    with it, and says who cancelled it."""
    run_id, _ = await suspended(client)
    response = await client.post(f"/api/v1/runs/{run_id}/cancel")
    assert response.status_code == 202
    run = (await client.get(f"/api/v1/runs/{run_id}")).json()
    assert (run["state"], run["error"]) == ("Cancelled", "cancelled by anonymous")
    gate = next(n for n in run["nodes"] if n["key"] == "gate")
    assert gate["state"] == "Cancelled"
    assert (await client.post(f"/api/v1/runs/{run_id}/cancel")).status_code == 409


async def test_the_list_filtered_to_one_run_has_only_its_waits(client: httpx.AsyncClient) -> None:
    run_id, hook = await suspended(client)
    other = await trigger(client, "deploy", "deploy", {"amount": 4})
    await wait_run(client, other, ("Suspended",))
    mine = (await client.get("/api/v1/approvals", params={"run": run_id})).json()["approvals"]
    assert [a["hook_id"] for a in mine] == [hook]
    assert (await client.get("/api/v1/approvals", params={"run": "gone"})).json() == {
        "approvals": []
    }
