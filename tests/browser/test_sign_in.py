"""Signing in to the UI in a real browser."""

from __future__ import annotations

from typing import Any

from tests.browser.harness import Server, shot, sign_in


def test_a_viewer_signs_in_with_a_token_and_sees_the_workflows(page: Any, server: Server) -> None:
    page.goto(server.url + "/")
    assert page.url.startswith(server.url + "/login")
    shot(page, "sign-in")
    sign_in(page, server, server.token("viewer", "vera"), "/")
    assert page.get_by_role("heading", name="Workflows").is_visible()
    assert page.get_by_text("vera").is_visible()
    shot(page, "workflows-empty")


def test_a_bad_token_is_refused_on_the_form(page: Any, server: Server) -> None:
    page.goto(server.url + "/login")
    page.get_by_label("Token").fill("not-a-token")
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("alert").is_visible()


def test_an_unknown_page_says_so(page: Any, server: Server) -> None:
    sign_in(page, server, server.token("viewer"), "/")
    response = page.goto(server.url + "/no/such/page")
    assert response is not None
    assert response.status == 404
    assert page.get_by_role("heading", name="Not found").is_visible()
    shot(page, "not-found")
