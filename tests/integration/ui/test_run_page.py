"""A run's page as the server renders it: its header, the tree and graph its script
draws from (safe inside a script tag), a vanished run's 404, no write buttons for a
viewer."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.api.conftest import bearer
from tests.integration.ui.conftest import PAGE, pages
from xene.server.ui.pages_run import script_json
from xene.store.base import ServerStore

FLOW = """
name: tiny
version: "1.0"
nodes:
  first: {type: std::log, config: {message: "</script><b>hi</b>"}}
  second: {type: std::log, config: {message: "then"}}
edges:
  - {from: first, to: second}
"""


@pytest.fixture
async def client(store: ServerStore) -> AsyncIterator[httpx.AsyncClient]:
    async with pages(store, auth=True) as opened:
        yield opened


async def _queued_run(client: httpx.AsyncClient, store: ServerStore) -> str:
    manager = await bearer(store, "manager")
    applied = await client.post(
        "/api/v1/workflows", content=FLOW, headers={**manager, "content-type": "application/yaml"}
    )
    assert applied.status_code == 201, applied.text
    pipeline = (await client.get("/api/v1/workflows/tiny", headers=manager)).json()
    name = pipeline["pipelines"][0]["name"]
    made = await client.post(f"/api/v1/workflows/tiny/pipelines/{name}/runs", headers=manager)
    assert made.status_code == 201, made.text
    return str(made.json()["run_id"])


def _embedded(html: str, name: str = "run-data") -> dict[str, object]:
    found = re.search(rf'<script type="application/json" id="{name}">(.*?)</script>', html, re.S)
    assert found is not None
    data: dict[str, object] = json.loads(found.group(1))
    return data


async def test_the_page_embeds_the_run_and_its_graph_for_its_script(
    client: httpx.AsyncClient, store: ServerStore
) -> None:
    run_id = await _queued_run(client, store)
    manager = await bearer(store, "manager")
    page = await client.get(f"/runs/{run_id}", headers={**PAGE, **manager})
    assert page.status_code == 200
    assert f"Run <code>{run_id}</code>" in page.text
    assert 'id="cancel-run"' in page.text
    data = _embedded(page.text)
    api = (await client.get(f"/api/v1/runs/{run_id}?group=true", headers=manager)).json()
    assert data["run"] == api
    graph = _embedded(page.text, "run-graph")  # on its own: laid out while the page parses
    assert [n["id"] for n in graph["nodes"]] == ["first", "second"]
    assert graph["edges"][0]["source"] == "first"


async def test_a_viewer_gets_no_write_buttons(
    client: httpx.AsyncClient, store: ServerStore
) -> None:
    run_id = await _queued_run(client, store)
    page = await client.get(f"/runs/{run_id}", headers={**PAGE, **await bearer(store, "viewer")})
    assert page.status_code == 200
    assert "cancel-run" not in page.text
    assert "retry-run" not in page.text


async def test_a_vanished_run_is_a_404_page_that_says_so(
    client: httpx.AsyncClient, store: ServerStore
) -> None:
    page = await client.get("/runs/gone", headers={**PAGE, **await bearer(store, "viewer")})
    assert page.status_code == 404
    assert "There is no run &#39;gone&#39;" in page.text


def test_embedded_json_cannot_end_its_script_tag() -> None:
    text = script_json({"message": "</script><script>alert(1)</script> & more"})
    assert "</" not in text
    assert "<" not in text
    assert json.loads(text) == {"message": "</script><script>alert(1)</script> & more"}


def test_the_graph_names_the_split_or_loop_whose_body_holds_a_node() -> None:
    from xene.ir import Edge, Node, Pipeline
    from xene.server.ui.run_graph import graph_of

    pipeline = Pipeline(
        "p",
        nodes=(
            Node("fan", "std::split", config={"field": "items"}),
            Node("each", "std::log"),
            Node("after", "std::log"),
        ),
        edges=(Edge("fan", "each", "out"), Edge("fan", "after", "done")),
    )
    graph = graph_of(pipeline)
    regions = {n["id"]: n["region"] for n in graph["nodes"]}
    assert regions == {"fan": "", "each": "fan", "after": ""}
    assert [(e["source"], e["target"], e["port"]) for e in graph["edges"]] == [
        ("fan", "each", "out"),
        ("fan", "after", "done"),
    ]
