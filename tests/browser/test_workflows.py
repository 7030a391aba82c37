"""The workflows pages in a real browser: `/` and `/workflows/{name}`, read by a viewer
and driven by a manager (pause, resume, stop, "Run now" with its input checked inline)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.harness import Server, shot, sign_in

FLOW = """\
name: shop
description: Take orders
triggers:
  - id: incoming
    type: webhook
    params: {path: /orders/new, secret: hook-s3cr3t}
  - id: nightly
    type: cron
    params: {schedule: "0 2 * * *"}
nodes:
  hello:
    type: std::log
    config: {message: "order ${input.x}"}
edges:
  - {from: incoming, to: hello}
  - {from: nightly, to: hello}
settings:
  circuit_breaker_threshold: 0.5
  circuit_breaker_window: 10
"""


def _apply(server: Server, manager: str) -> None:
    with server.api(manager) as api:
        answer = api.post(
            "/api/v1/workflows", content=FLOW, headers={"content-type": "application/yaml"}
        )
        assert answer.status_code == 201, answer.text
        queued = api.post("/api/v1/workflows/shop/pipelines/shop/runs", json={"x": 1})
        assert queued.status_code == 201, queued.text


def test_a_viewer_sees_each_workflow_with_its_triggers_mode_and_runs_and_no_controls(
    server: Server, page: Any
) -> None:
    _apply(server, server.token("manager"))
    sign_in(page, server, server.token("viewer", "vera"), "/")
    row = page.locator("tr[data-pipeline=shop]")
    expect(row.locator(".mode")).to_have_text("active")
    expect(row).to_contain_text("circuit breaker armed (50% of 10 runs)")
    expect(row).to_contain_text(f"POST {server.url}/api/v1/hooks/shop/path/orders/new")
    expect(row.locator("li.trigger", has_text="nightly").locator("time")).to_have_count(1)
    assert "hook-s3cr3t" not in page.content()
    expect(row.locator(".strip a")).to_have_count(1)
    shot(page, "workflows")
    page.get_by_role("link", name="shop", exact=True).first.click()
    page.wait_for_url(f"{server.url}/workflows/shop")
    expect(page.get_by_role("heading", name="shop", exact=True).first).to_be_visible()
    assert page.get_by_role("button").filter(has_text="Pause").count() == 0
    assert page.locator("form[data-run-now]").count() == 0
    assert "hook-s3cr3t" not in page.content()
    shot(page, "workflow-viewer")
    # The server refuses the write anyway, with the session's own CSRF header.
    status = page.evaluate(
        """async () => {
            const csrf = document.cookie.split("; ").find((c) => c.startsWith("xene_csrf="));
            const r = await fetch("/api/v1/workflows/shop/pipelines/shop/pause", {
                method: "POST", headers: {"X-Xene-CSRF": csrf.slice(10)}});
            return r.status;
        }"""
    )
    assert status == 403


def test_a_manager_pauses_resumes_and_runs_a_pipeline_with_its_input_checked(
    server: Server, page: Any
) -> None:
    _apply(server, server.token("manager"))
    sign_in(page, server, server.token("manager", "max"), "/workflows/shop")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator(".pipeline .mode")).to_have_text("paused")
    field = page.get_by_label("Input of shop (JSON, optional)")
    field.fill('{"x": 2')
    page.get_by_role("button", name="Run shop now").click()
    problem = page.locator("#input-problem-1")
    expect(problem).to_contain_text("The input is not JSON")
    expect(field).to_have_attribute("aria-invalid", "true")
    shot(page, "workflow-bad-input")
    field.fill('{"x": 2}')
    expect(problem).to_be_hidden()
    page.get_by_role("button", name="Run shop now").click()
    expect(problem).to_contain_text("pipeline shop/shop is paused: resume it first")
    page.get_by_role("button", name="Resume").click()
    expect(page.locator(".pipeline .mode")).to_have_text("active")
    page.get_by_label("Input of shop (JSON, optional)").fill('{"x": 2}')
    page.get_by_role("button", name="Run shop now").click()
    page.wait_for_url(f"{server.url}/runs/*")
    run_id = page.url.rsplit("/", 1)[1]
    with server.api(server.token("viewer")) as api:
        assert api.get(f"/api/v1/runs/{run_id}").json()["input"] == {"x": 2}
    page.goto(f"{server.url}/workflows/shop")
    expect(page.locator(f'.strip a[href="/runs/{run_id}"]')).to_have_count(1)
    shot(page, "workflow-manager")


def test_stopping_asks_first_and_a_drained_pipeline_can_be_resumed(
    server: Server, page: Any
) -> None:
    _apply(server, server.token("manager"))
    sign_in(page, server, server.token("manager"), "/workflows/shop")
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".pipeline .mode")).to_have_text("active")
    page.once("dialog", lambda dialog: dialog.accept())
    page.get_by_role("button", name="Stop").click()
    expect(page.locator(".pipeline .mode")).to_have_text("stopped")
    assert page.get_by_role("button", name="Stop").count() == 0
    page.get_by_role("button", name="Resume").click()
    page.get_by_role("button", name="Drain").click()
    expect(page.locator(".pipeline .mode")).to_have_text("draining")


def test_the_strip_of_runs_follows_new_runs_without_a_reload(server: Server, page: Any) -> None:
    manager = server.token("manager")
    _apply(server, manager)
    sign_in(page, server, server.token("viewer"), "/")
    expect(page.locator("body[data-live=on]")).to_have_count(1)
    with server.api(manager) as api:
        queued = api.post("/api/v1/workflows/shop/pipelines/shop/runs", json={"x": 3})
        assert queued.status_code == 201, queued.text
    run_id = queued.json()["run_id"]
    box = page.locator(f'tr[data-pipeline=shop] .strip a[href="/runs/{run_id}"]')
    expect(box).to_have_class("state-Success")
    expect(page.locator("tr[data-pipeline=shop] .strip a")).to_have_count(2)


def test_the_workflows_page_reads_on_a_phone(server: Server, page: Any) -> None:
    _apply(server, server.token("manager"))
    page.set_viewport_size({"width": 375, "height": 800})
    sign_in(page, server, server.token("manager"), "/workflows/shop")
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    shot(page, "workflow-phone")


def test_a_workflow_that_is_not_applied_gives_a_page_saying_so(server: Server, page: Any) -> None:
    sign_in(page, server, server.token("viewer"), "/")
    response = page.goto(f"{server.url}/workflows/nope")
    assert response is not None
    assert response.status == 404
    expect(page.get_by_role("alert")).to_contain_text("No workflow 'nope' is applied")


MANIFEST = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: ci}
spec:
  triggers:
    push: {type: webhook, token: "hook-t0ken"}
  pipelines:
    build:
      trigger: push
      tasks:
        t: {steps: [{name: s, type: shell, cmd: "echo build"}]}
    deploy:
      tasks:
        t: {steps: [{name: s, type: shell, cmd: "echo deploy"}]}
"""


def test_each_pipeline_has_its_own_controls(server: Server, page: Any) -> None:
    with server.api(server.token("manager")) as api:
        applied = api.post(
            "/api/v1/workflows", content=MANIFEST, headers={"content-type": "application/yaml"}
        )
        assert applied.status_code == 201, applied.text
    sign_in(page, server, server.token("manager"), "/workflows/ci")
    page.get_by_role("group", name="Pipeline deploy").get_by_role("button", name="Pause").click()
    expect(page.locator("#pipeline-deploy .mode")).to_have_text("paused")
    expect(page.locator("#pipeline-build .mode")).to_have_text("active")
    expect(page.locator("#pipeline-build")).to_contain_text(
        f"POST {server.url}/api/v1/hooks/ci/push"
    )
    expect(page.locator("#pipeline-deploy")).to_contain_text("no triggers: runs start by hand")
    assert "hook-t0ken" not in page.content()
    page.get_by_label("Input of deploy (JSON, optional)").fill("[1, 2]")
    page.get_by_role("button", name="Run deploy now").click()
    expect(page.locator("#input-problem-2")).to_contain_text("is paused")
    page.get_by_label("Input of build (JSON, optional)").fill("[1, 2]")
    page.get_by_role("button", name="Run build now").click()
    page.wait_for_url(f"{server.url}/runs/*")
