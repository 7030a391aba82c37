"""The runs list (/runs) and approvals (/approvals) in a real browser: filters in the URL,
live rows, deciding a waiting run, a viewer without write controls."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.browser.harness import Server, shot, sign_in

GREET = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: greet}
spec:
  triggers: {go: {type: manual}}
  pipelines:
    hello:
      trigger: go
      tasks:
        work:
          steps:
            - {name: say, type: shell, cmd: "echo hello"}
    broken:
      trigger: go
      tasks:
        work:
          steps:
            - {name: fail, type: shell, cmd: "echo trying; exit 3"}
"""

GATE = """\
name: deploy
version: "1.0"
nodes:
  gate: {type: std::wait, config: {hook_id: deploy, metadata_fields: [amount]}}
  ship: {type: std::log, config: {message: "shipping ${input.amount}"}}
edges:
  - {from: gate, to: ship}
"""


@pytest.fixture
def api(server: Server) -> Iterator[httpx.Client]:
    """The API as a manager (to apply, trigger and check what the pages did)."""
    with server.api(server.token("manager", "mia")) as client:
        yield client


@pytest.fixture
def page(server: Server, page: Any) -> Iterator[Any]:
    """The page, left before the server stops: its events stream open would hold the
    server's graceful shutdown up (and the harness kills it after 30 s)."""
    yield page
    page.goto("about:blank")


def _apply(api: httpx.Client, text: str, filename: str) -> None:
    applied = api.post("/api/v1/workflows", params={"filename": filename}, content=text)
    assert applied.status_code in (200, 201), applied.text


def _trigger(api: httpx.Client, workflow: str, pipeline: str, data: Any = None) -> str:
    path = f"/api/v1/workflows/{workflow}/pipelines/{pipeline}/runs"
    started = api.post(path, content=json.dumps(data))
    assert started.status_code == 201, started.text
    return str(started.json()["run_id"])


def _wait_state(api: httpx.Client, run_id: str, *states: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if api.get(f"/api/v1/runs/{run_id}").json()["state"] in states:
            return
        time.sleep(0.05)  # polling for the run's state, not a timing assertion
    raise AssertionError(f"run {run_id} never reached {states}")


def test_runs_are_filtered_in_a_shareable_url_and_new_runs_appear_live(
    page: Any, server: Server, api: httpx.Client
) -> None:
    _apply(api, GREET, "greet.yaml")
    ok = _trigger(api, "greet", "hello")
    failed = _trigger(api, "greet", "broken")
    _wait_state(api, ok, "Success")
    _wait_state(api, failed, "Error")
    sign_in(page, server, server.token("viewer", "vera"), "/runs")
    rows = page.locator("tr[data-run]")
    assert rows.count() == 2
    page.get_by_label("State").select_option("Error")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"{server.url}/runs?state=Error")  # no empty filters in the URL
    assert [rows.nth(i).get_attribute("data-run") for i in range(rows.count())] == [failed]
    assert page.get_by_text("exit", exact=False).first.is_visible()
    shot(page, "runs-filtered")
    page.goto(f"{server.url}/runs?pipeline=hello&trigger=-")
    assert page.get_by_label("Pipeline").input_value() == "hello"
    assert rows.count() == 1
    page.get_by_role("link", name="Clear").click()
    page.wait_for_url(f"{server.url}/runs")
    page.wait_for_selector("text=Live: new runs")
    new = _trigger(api, "greet", "hello")
    page.wait_for_selector(f'tr[data-run="{new}"] .state-Success', timeout=30_000)
    assert rows.count() == 3
    shot(page, "runs-live")
    page.set_viewport_size({"width": 375, "height": 800})
    shot(page, "runs-phone")


def test_a_search_by_id_prefix_and_a_time_range_in_the_viewers_zone(
    page: Any, server: Server, api: httpx.Client
) -> None:
    _apply(api, GREET, "greet.yaml")
    first = _trigger(api, "greet", "hello")
    _wait_state(api, first, "Success")
    sign_in(page, server, server.token("viewer"), "/runs")
    page.get_by_label("Run id starts with").fill(first[:20].upper())
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"{server.url}/runs?id={first[:20].upper()}")
    assert page.locator("tr[data-run]").count() == 1
    page.goto(f"{server.url}/runs?created_after=2999-01-01T00:00:00Z")
    assert page.get_by_text("No run matches these filters.").is_visible()
    shown = page.get_by_label("Created after").input_value()
    assert shown.startswith(("2999-01-01T", "2998-12-31T"))  # the viewer's zone
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url(f"{server.url}/runs?created_after=2999-01-01T00%3A00%3A00Z")
    bad = page.goto(f"{server.url}/runs?created_before=yesterday")
    assert bad is not None
    assert bad.status == 422
    assert page.get_by_text("ISO 8601").is_visible()


def test_a_manager_approves_a_waiting_run_with_data_and_a_reason(
    page: Any, server: Server, api: httpx.Client
) -> None:
    _apply(api, GATE, "gate.flow.yaml")
    run_id = _trigger(api, "deploy", "deploy", {"amount": 3})
    _wait_state(api, run_id, "Suspended")
    sign_in(page, server, server.token("manager", "mia"), "/approvals")
    card = page.locator("[data-hook]")
    assert card.count() == 1
    assert card.get_by_text("amount").is_visible()
    assert card.get_by_role("link", name=run_id).get_attribute("href") == f"/runs/{run_id}"
    page.get_by_label("Data (JSON, optional)").fill("{not json")
    page.get_by_label("Reason").fill("looks fine")
    page.get_by_role("button", name="Approve").click()
    assert "Data is not JSON" in card.get_by_role("alert").inner_text()
    shot(page, "approvals-bad-json")
    page.get_by_label("Data (JSON, optional)").fill('{"ticket": 42}')
    page.get_by_role("button", name="Approve").click()
    page.wait_for_selector("[data-hook]", state="detached")
    assert page.get_by_text("Approved:").is_visible()
    _wait_state(api, run_id, "Success")
    (kept,) = api.get("/api/v1/approvals", params={"all": "true"}).json()["approvals"]
    assert (kept["decision"], kept["data"], kept["reason"]) == (
        "approve",
        {"ticket": 42},
        "looks fine",
    )
    shot(page, "approvals-decided")


def test_a_new_wait_appears_live_and_a_viewer_sees_no_decision_controls(
    page: Any, server: Server, api: httpx.Client
) -> None:
    _apply(api, GATE, "gate.flow.yaml")
    sign_in(page, server, server.token("viewer"), "/approvals")
    assert page.get_by_text("Nothing waits for a decision.").is_visible()
    run_id = _trigger(api, "deploy", "deploy", {"amount": 5})
    page.wait_for_selector("[data-hook]", timeout=30_000)
    assert page.get_by_role("link", name=run_id).is_visible()
    assert page.get_by_role("button", name="Approve").count() == 0
    assert page.get_by_label("Reason").count() == 0
    shot(page, "approvals-viewer")
    hook = page.locator("[data-hook]").get_attribute("data-hook")
    refused = page.request.post(
        f"{server.url}/api/v1/approvals/{hook}/approve", data={"reason": "forged"}
    )
    assert refused.status == 403
