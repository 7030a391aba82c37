"""State machines through the API: definitions, instances, events (refused ones too)."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.integration.api.conftest import wait_run

LIGHT = (Path(__file__).parents[3] / "examples" / "traffic-light.fsm.yaml").read_text()


async def define(client: httpx.AsyncClient, text: str = LIGHT) -> httpx.Response:
    return await client.post(
        "/api/v1/machines", content=text, headers={"content-type": "application/yaml"}
    )


async def test_define_once_then_409(client: httpx.AsyncClient) -> None:
    first = await define(client)
    assert first.status_code == 201
    assert first.json() == {"machines": ["traffic-light"]}
    again = await define(client)
    assert again.status_code == 409
    assert "is defined already" in again.json()["error"]
    (machine,) = (await client.get("/api/v1/machines")).json()["machines"]
    assert machine["name"] == "traffic-light"
    assert machine["initial_state"] == "green"
    assert machine["states"] == ["green", "yellow", "red"]
    assert machine["on_enter"] == {"red": "hold-traffic"}
    got = await client.get("/api/v1/machines/traffic-light")
    assert got.json() == machine
    assert (await client.get("/api/v1/machines/nope")).status_code == 404


async def test_a_definition_without_a_machine_or_invalid_is_400(
    client: httpx.AsyncClient,
) -> None:
    none = await define(client, "name: x\nnodes: {a: {type: std::log}}\n")
    assert none.status_code == 400
    assert "no state machine" in none.json()["error"]
    invalid = await define(client, "name: x\nstate_machine: {events: 3}\n")
    assert invalid.status_code == 400
    assert invalid.json()["problems"]


async def test_instances_move_on_allowed_events_and_refuse_others(
    client: httpx.AsyncClient,
) -> None:
    await define(client)
    created = await client.post("/api/v1/machines/traffic-light/instances")
    assert created.status_code == 201
    instance = created.json()
    assert instance["state"] == "green"
    assert instance["run_id"] is None
    url = f"/api/v1/instances/{instance['id']}"

    refused = await client.post(f"{url}/events/turn_red")
    assert refused.status_code == 409
    assert refused.json()["available"] == ["turn_yellow"]
    assert (await client.get(url)).json()["state"] == "green"

    moved = await client.post(f"{url}/events/turn_yellow")
    assert moved.json() == {"from": "green", "to": "yellow", "run_id": None}
    red = (await client.post(f"{url}/events/turn_red")).json()
    assert red["to"] == "red"
    assert red["run_id"] is not None  # entering red runs hold-traffic
    run = await wait_run(client, red["run_id"])
    assert run["state"] == "Success"
    assert run["input"] == {"instance": instance["id"], "machine": "traffic-light", "state": "red"}

    shown = (await client.get(url)).json()
    assert shown["state"] == "red"
    assert shown["available_events"] == ["turn_green"]
    assert [(h["event"], h["from"], h["to"]) for h in shown["history"]] == [
        ("turn_yellow", "green", "yellow"),
        ("turn_red", "yellow", "red"),
    ]
    listed = (await client.get("/api/v1/machines/traffic-light/instances")).json()
    assert [i["id"] for i in listed["instances"]] == [instance["id"]]


async def test_unknown_machines_and_instances_are_404(client: httpx.AsyncClient) -> None:
    assert (await client.post("/api/v1/machines/nope/instances")).status_code == 404
    assert (await client.get("/api/v1/machines/nope/instances")).status_code == 404
    assert (await client.get("/api/v1/instances/nope")).status_code == 404
    assert (await client.post("/api/v1/instances/nope/events/go")).status_code == 404
