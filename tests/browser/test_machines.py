"""The state-machine pages in a real browser: definitions, instances with their state,
the events allowed now and the history; starting an instance and sending events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.browser.harness import Server, shot, sign_in

DEFINITION = (
    Path(__file__).resolve().parents[2] / "examples" / "traffic-light.fsm.yaml"
).read_text()


def _define(server: Server) -> str:
    """The traffic light defined, with one instance (in green); its id."""
    with server.api(server.token("manager")) as api:
        defined = api.post(
            "/api/v1/machines", content=DEFINITION, headers={"content-type": "application/yaml"}
        )
        assert defined.status_code == 201, defined.text
        created = api.post("/api/v1/machines/traffic-light/instances")
        assert created.status_code == 201, created.text
    return str(created.json()["id"])


def test_a_viewer_reads_machines_and_instances_without_controls(server: Server, page: Any) -> None:
    instance = _define(server)
    sign_in(page, server, server.token("viewer"), "/machines")
    expect(page.get_by_role("link", name="traffic-light")).to_be_visible()
    expect(page.locator("tbody tr")).to_contain_text("green")
    shot(page, "machines")
    page.get_by_role("link", name="traffic-light").click()
    page.wait_for_url(f"{server.url}/machines/traffic-light")
    expect(page.locator(f"tr[data-instance='{instance}']")).to_contain_text("turn_yellow")
    expect(page.get_by_text("red: pipeline hold-traffic")).to_be_visible()
    assert page.get_by_role("button", name="New instance").count() == 0
    shot(page, "machine-viewer")
    page.get_by_role("link", name=instance).click()
    page.wait_for_url(f"{server.url}/machines/traffic-light/instances/{instance}")
    expect(page.locator(".current-state")).to_have_text("green")
    expect(page.get_by_text("Events allowed now: turn_yellow.")).to_be_visible()
    assert page.get_by_role("button", name="Send turn_yellow").count() == 0


def test_a_manager_starts_an_instance_and_moves_it_through_its_states(
    server: Server, page: Any
) -> None:
    _define(server)
    sign_in(page, server, server.token("manager"), "/machines/traffic-light")
    page.get_by_role("button", name="New instance").click()
    page.wait_for_url(f"{server.url}/machines/traffic-light/instances/*")
    expect(page.locator(".current-state")).to_have_text("green")
    page.get_by_role("button", name="Send turn_yellow").click()
    expect(page.locator(".current-state")).to_have_text("yellow")
    page.get_by_role("button", name="Send turn_red").click()
    expect(page.locator(".current-state")).to_have_text("red")
    history = page.locator("section[aria-labelledby=history] tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("turn_red")
    expect(page.get_by_text("Entering red runs pipeline hold-traffic")).to_be_visible()
    shot(page, "instance-manager")
    page.emulate_media(color_scheme="dark")
    shot(page, "instance-manager-dark")


def test_an_event_refused_meanwhile_is_shown_beside_the_buttons(server: Server, page: Any) -> None:
    instance = _define(server)
    sign_in(page, server, server.token("manager"), f"/machines/traffic-light/instances/{instance}")
    with server.api(server.token("manager")) as api:  # another person moves it first
        moved = api.post(f"/api/v1/instances/{instance}/events/turn_yellow")
        assert moved.status_code == 200, moved.text
    page.get_by_role("button", name="Send turn_yellow").click()
    problem = page.locator("#event-problem")
    expect(problem).to_be_visible()
    expect(problem).to_contain_text("not allowed in state 'yellow'")
    expect(problem).to_contain_text("available now: turn_red")
    shot(page, "instance-refused")


def test_an_unknown_machine_or_instance_gives_a_page_saying_so(server: Server, page: Any) -> None:
    instance = _define(server)
    sign_in(page, server, server.token("viewer"), "/machines")
    for path, said in [
        ("/machines/nope", "No state machine 'nope' is defined"),
        ("/machines/traffic-light/instances/nope", "no state-machine instance 'nope'"),
        (f"/machines/other/instances/{instance}", "no state machine 'other'"),
    ]:
        response = page.goto(server.url + path)
        assert response is not None, path
        assert response.status == 404, path
        expect(page.get_by_role("alert")).to_contain_text(said)
