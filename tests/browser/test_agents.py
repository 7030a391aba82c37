"""The agents page in a real browser: every agent with its state, labels, capacity, the
runs it holds and its last heartbeat; draining one (admins only)."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.harness import Server, shot, sign_in

FLOW = """\
name: render
nodes:
  frame:
    type: std::log
    config: {message: "frame"}
settings:
  agent_labels: [gpu]
"""


def _gpu_agent_holding_a_run(server: Server) -> str:
    """A remote agent `gpu-box` that registered and claimed the one run needing a gpu."""
    with server.api(server.token("manager")) as api:
        applied = api.post(
            "/api/v1/workflows", content=FLOW, headers={"content-type": "application/yaml"}
        )
        assert applied.status_code == 201, applied.text
        queued = api.post("/api/v1/workflows/render/pipelines/render/runs")
        assert queued.status_code == 201, queued.text
    with server.api(server.token("agent", "gpu-box")) as agent:
        body = {"labels": ["gpu", "os=linux"], "capacity": 2, "version": "9.9", "host": "box-1"}
        assert agent.post("/api/v1/agent/register", json=body).status_code == 200
        claimed = agent.post("/api/v1/agent/claim", json={"free": 1, "wait_s": 0}).json()
        assert len(claimed["runs"]) == 1, claimed
        beat = {"running": 1, "runs": {}}
        assert agent.post("/api/v1/agent/heartbeat", json=beat).status_code == 200
    return str(queued.json()["run_id"])


def test_a_viewer_sees_the_agents_and_the_runs_they_hold_but_no_drain(
    server: Server, page: Any
) -> None:
    run_id = _gpu_agent_holding_a_run(server)
    sign_in(page, server, server.token("viewer"), "/agents")
    row = page.locator("tr[data-agent=gpu-box]")
    expect(row.locator(".agent-state")).to_have_text("online")
    expect(row).to_contain_text("gpu")
    expect(row).to_contain_text("os=linux")
    expect(row).to_contain_text("1 of 2")
    expect(row).to_contain_text("box-1")
    expect(row.locator(f'a[href="/runs/{run_id}"]')).to_have_count(1)
    expect(row.locator("time")).to_have_count(1)
    assert page.locator("tr[data-agent]").count() == 2  # and the server's own agent
    assert page.get_by_role("button", name="Drain gpu-box").count() == 0
    shot(page, "agents-viewer")


def test_an_admin_drains_an_agent(server: Server, page: Any) -> None:
    _gpu_agent_holding_a_run(server)
    sign_in(page, server, server.token("manager"), "/agents")
    assert page.get_by_role("button", name="Drain gpu-box").count() == 0  # admins only
    page.context.clear_cookies()
    sign_in(page, server, server.token("admin", "ada"), "/agents")
    page.get_by_role("button", name="Drain gpu-box").click()
    row = page.locator("tr[data-agent=gpu-box]")
    expect(row.locator(".agent-state")).to_have_text("draining")
    expect(page.get_by_role("button", name="Drain gpu-box")).to_have_count(0)
    shot(page, "agents-admin")
