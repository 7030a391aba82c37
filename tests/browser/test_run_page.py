"""A run's page in a real browser: live node states, a step's live log, retry, cancel.

The `server` fixture comes before `page` in each test: the page (and its event streams)
closes first, so the server stops at once instead of waiting on them."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.harness import Server, shot, sign_in

YAML = {"content-type": "application/yaml"}


def manifest(gate: Path, fixed: Path) -> str:
    """`prepare` echoes in colour; `wait` holds until the test makes `gate`; `check` fails
    until `fixed` exists; `slow` waits for a gate that never comes (for cancel)."""
    return f"""
kind: Workflow
apiVersion: v1alpha1
metadata: {{name: shop}}
spec:
  triggers:
    manual: {{type: manual}}
  pipelines:
    build:
      trigger: manual
      tasks:
        prepare:
          steps:
            - name: greet
              type: shell
              cmd: "printf '\\\\033[32mready\\\\033[0m for %s\\\\n' \\"$XENE_INPUT\\"; echo second"
        wait:
          dependencies: [prepare]
          steps:
            - name: hold
              type: shell
              cmd: "while [ ! -f {gate} ]; do sleep 0.05; done; echo released"
        check:
          dependencies: [wait]
          steps:
            - name: verify
              type: shell
              cmd: "test -f {fixed} || {{ echo 'not fixed yet' >&2; exit 3; }}"
    hang:
      trigger: manual
      tasks:
        slow:
          steps:
            - name: forever
              type: shell
              cmd: "while [ ! -f {gate}.never ]; do sleep 0.05; done"
"""


def start(server: Server, token: str, pipeline: str, data: Any, tmp: Path) -> str:
    with server.api(token) as api:
        text = manifest(tmp / "gate", tmp / "fixed")
        applied = api.post("/api/v1/workflows", content=text, headers=YAML)
        assert applied.status_code in (200, 201), applied.text
        made = api.post(f"/api/v1/workflows/shop/pipelines/{pipeline}/runs", json=data)
        assert made.status_code == 201, made.text
        return str(made.json()["run_id"])


def box(page: Any, node: str) -> Any:
    return page.locator(f'g[data-node="{node}"]')


def test_nodes_turn_from_running_to_success_live_and_a_step_log_streams(
    server: Server, page: Any, tmp_path: Path
) -> None:
    manager = server.token("manager", "mona")
    run_id = start(server, manager, "build", {"order": 7}, tmp_path)
    sign_in(page, server, manager, f"/runs/{run_id}")
    expect(box(page, "wait")).to_have_class(re.compile("state-Running"))
    expect(box(page, "prepare")).to_have_class(re.compile("state-Success"))
    shot(page, "run-running")
    box(page, "prepare").click()
    page.get_by_role("button", name="Log of step greet").click()
    lines = page.locator("#log-lines")
    expect(lines).to_contain_text("ready for")
    expect(lines.locator(".ansi-green-fg")).to_have_text("ready")
    page.get_by_label("Search the log").fill("second")
    expect(lines.locator(".line:visible")).to_have_count(1)
    with page.expect_download() as download:
        page.get_by_role("button", name="Download").click()
    saved = Path(download.value.path()).read_text()
    assert "ready for" in saved
    assert "\x1b" not in saved
    (tmp_path / "gate").write_text("go")  # the page shows what follows without a reload
    expect(box(page, "wait")).to_have_class(re.compile("state-Success"))
    expect(box(page, "check")).to_have_class(re.compile("state-Error"))
    expect(page.locator("#run-state")).to_have_text("Error")
    shot(page, "run-failed")


def test_a_failed_node_is_retried_from_the_page_and_its_error_shown(
    server: Server, page: Any, tmp_path: Path
) -> None:
    (tmp_path / "gate").write_text("go")
    manager = server.token("manager", "mona")
    run_id = start(server, manager, "build", {"order": 8}, tmp_path)
    sign_in(page, server, manager, f"/runs/{run_id}")
    expect(page.locator("#run-state")).to_have_text("Error")
    box(page, "check").click()
    details = page.locator("#details")
    expect(details).to_contain_text("Error")
    (tmp_path / "fixed").write_text("yes")
    page.get_by_role("button", name="Retry from check").click()
    expect(page.locator("#run-state")).to_have_text("Success")
    expect(box(page, "check")).to_have_class(re.compile("state-Success"))
    expect(page.locator("#run-retries")).to_contain_text("Retry 1 by mona from check")
    shot(page, "run-retried")


def gated_flow(hold: Path) -> str:
    """`hold` waits for a file, then `gate` waits for a person, then `ship` logs."""
    return f"""
name: release
version: "1.0"
nodes:
  hold: {{type: std::shell, config: {{command: "while [ ! -f {hold} ]; do sleep 0.05; done"}}}}
  gate: {{type: std::wait, config: {{hook_id: release, metadata_fields: [amount]}}}}
  ship: {{type: std::log, config: {{message: "shipping ${{input.amount}}"}}}}
edges:
  - {{from: hold, to: gate}}
  - {{from: gate, to: ship}}
"""


def test_a_wait_appears_on_the_run_page_is_approved_there_and_the_run_goes_on(
    server: Server, page: Any, tmp_path: Path
) -> None:
    manager = server.token("manager", "mona")
    with server.api(manager) as api:
        applied = api.post("/api/v1/workflows?filename=release.flow.yaml",
                           content=gated_flow(tmp_path / "hold"), headers=YAML)  # fmt: skip
        assert applied.status_code in (200, 201), applied.text
        pipeline = api.get("/api/v1/workflows/release").json()["pipelines"][0]["name"]
        made = api.post(f"/api/v1/workflows/release/pipelines/{pipeline}/runs", json={"amount": 3})
        assert made.status_code == 201, made.text
        run_id = made.json()["run_id"]
    sign_in(page, server, manager, f"/runs/{run_id}")
    expect(box(page, "hold")).to_have_class(re.compile("state-Running"))
    cards = page.locator("[data-hook]")
    expect(cards).to_have_count(0)
    (tmp_path / "hold").write_text("go")  # the wait's card comes without a reload
    expect(cards).to_have_count(1)
    expect(cards).to_contain_text("amount")
    expect(page.locator("#run-state")).to_have_text("Suspended")
    shot(page, "run-waiting")
    page.get_by_label("Data (JSON, optional)").fill("[1,")
    page.get_by_role("button", name="Approve").click()
    expect(cards.get_by_role("alert")).to_contain_text("Data is not JSON")
    page.get_by_label("Data (JSON, optional)").fill('{"ticket": 9}')
    page.get_by_label("Reason").fill("checked")
    page.get_by_role("button", name="Approve").click()
    expect(cards).to_have_count(0)
    expect(page.locator("#decided")).to_have_text("Approved: gate.")
    expect(page.locator("#run-state")).to_have_text("Success")
    expect(box(page, "ship")).to_have_class(re.compile("state-Success"))
    expect(page.locator("#run-ended time")).to_be_visible()
    shot(page, "run-approved")


def test_a_run_is_cancelled_from_its_page(server: Server, page: Any, tmp_path: Path) -> None:
    manager = server.token("manager", "mona")
    run_id = start(server, manager, "hang", None, tmp_path)
    sign_in(page, server, manager, f"/runs/{run_id}")
    expect(box(page, "slow")).to_have_class(re.compile("state-Running"))
    page.get_by_role("button", name="Cancel run").click()
    expect(page.locator("#run-state")).to_have_text("Cancelled")
    expect(page.get_by_role("button", name="Cancel run")).to_be_hidden()
    expect(page.get_by_role("button", name="Retry failed nodes")).to_be_visible()


def test_a_viewer_sees_no_write_buttons_and_a_vanished_run_says_so(
    server: Server, page: Any, tmp_path: Path
) -> None:
    (tmp_path / "gate").write_text("go")
    run_id = start(server, server.token("manager"), "build", {"order": 9}, tmp_path)
    sign_in(page, server, server.token("viewer", "vera"), f"/runs/{run_id}")
    expect(page.locator("#run-state")).to_have_text("Error")
    box(page, "check").click()
    expect(page.locator("#details")).to_contain_text("Error")
    assert page.get_by_role("button", name=re.compile("Retry|Cancel")).count() == 0
    page.set_viewport_size({"width": 375, "height": 800})
    shot(page, "run-viewer-phone")
    response = page.goto(f"{server.url}/runs/no-such-run")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("There is no run 'no-such-run'")


BATCH = """
name: batch
version: "1.0"
nodes:
  fan: {type: std::split, config: {field: items}}
  price: {type: std::log, config: {message: "item ${fan.index}"}}
  total: {type: std::log, config: {message: "all priced"}}
  confirm: {type: std::loop, config: {max_iterations: 3}}
  send: {type: std::log, config: {message: "confirmation ${confirm.iteration}"}}
edges:
  - {from: fan.out, to: price}
  - {from: fan.done, to: total}
  - {from: total, to: confirm}
  - {from: confirm.continue, to: send}
  - {from: send, to: confirm, loop_back: true}
"""


def test_split_items_and_loop_turns_are_one_box_each_with_counts_and_pages(
    server: Server, page: Any
) -> None:
    manager = server.token("manager", "mona")
    with server.api(manager) as api:
        applied = api.post("/api/v1/workflows", content=BATCH, headers=YAML)
        assert applied.status_code == 201, applied.text
        pipeline = api.get("/api/v1/workflows/batch").json()["pipelines"][0]["name"]
        items = {"items": [{"n": i} for i in range(120)]}
        made = api.post(f"/api/v1/workflows/batch/pipelines/{pipeline}/runs", json=items)
        run_id = made.json()["run_id"]
    sign_in(page, server, manager, f"/runs/{run_id}")
    expect(page.locator("#run-state")).to_have_text("Success")
    expect(box(page, "price")).to_contain_text("×120: 120 Success")
    expect(box(page, "send")).to_contain_text("×3: 3 Success")
    assert page.locator("g[data-node]").count() == 5
    box(page, "price").click()
    details = page.locator("#details")
    expect(details).to_contain_text("120 runs of this node")
    expect(details).to_contain_text("page 1 of 3")
    page.get_by_role("button", name="Next").click()
    expect(details).to_contain_text("page 2 of 3")
    details.get_by_role("button", name="price[fan=50]").click()
    expect(details).to_contain_text("Output")
    shot(page, "run-split-loop")
    page.get_by_role("button", name="Fit to the frame").click()
    expect(page.locator("#graph")).to_have_class(re.compile("fit"))
    page.emulate_media(color_scheme="dark")
    shot(page, "run-split-loop-dark")


def big_flow(layers: int, width: int) -> dict[str, Any]:
    """`layers` x `width` small nodes, each fed by two of the layer before, then a loop
    of three turns: more nodes than the page lays out with dagre."""
    noop = {"type": "std::json_dynamic", "config": {"operation": "extract", "path": "ok"}}
    nodes: dict[str, Any] = {f"n{k}_{i}": noop for k in range(layers) for i in range(width)}
    edges = [
        {"from": f"n{k - 1}_{j}", "to": f"n{k}_{i}"}
        for k in range(1, layers)
        for i in range(width)
        for j in {i, (i * 7 + 3) % width}
    ]
    nodes["confirm"] = {"type": "std::loop", "config": {"max_iterations": 3}}
    nodes["send"] = {"type": "std::log", "config": {"message": "turn ${confirm.iteration}"}}
    edges += [{"from": f"n{layers - 1}_0", "to": "confirm"},
              {"from": "confirm.continue", "to": "send"},
              {"from": "send", "to": "confirm", "loop_back": True}]  # fmt: skip
    return {"name": "big", "version": "1.0", "nodes": nodes, "edges": edges}


def test_a_big_graph_is_drawn_whole_each_node_a_box_and_each_edge_a_line(
    server: Server, page: Any
) -> None:
    import json

    flow = big_flow(layers=4, width=80)
    manager = server.token("manager", "mona")
    with server.api(manager) as api:
        applied = api.post("/api/v1/workflows?filename=big.json", content=json.dumps(flow),
                           headers={"content-type": "application/json"})  # fmt: skip
        assert applied.status_code == 201, applied.text
        pipeline = api.get("/api/v1/workflows/big").json()["pipelines"][0]["name"]
        run_id = api.post(f"/api/v1/workflows/big/pipelines/{pipeline}/runs", json={}).json()
    sign_in(page, server, manager, f"/runs/{run_id['run_id']}")
    expect(page.locator("#run-state")).to_have_text("Success")
    page.wait_for_function("document.documentElement.dataset.runPage === 'ready'")
    expect(page.locator("g[data-node]")).to_have_count(len(flow["nodes"]))
    expect(page.locator("path.edge")).to_have_count(len(flow["edges"]))
    expect(page.locator("path.edge.loop-back")).to_have_count(1)
    expect(box(page, "send")).to_contain_text("×3: 3 Success")
    boxes = page.eval_on_selector_all(
        "g[data-node]", "gs => gs.map(g => g.getAttribute('transform'))"
    )
    assert len(set(boxes)) == len(boxes)  # no two boxes on one place
    shot(page, "run-big")
