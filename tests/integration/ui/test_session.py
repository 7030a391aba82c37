"""Signing in to the web UI, its cookies, and writes refused across sites."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.api.conftest import bearer
from tests.integration.ui.conftest import PAGE, pages
from xene.store.base import ServerStore


@pytest.fixture
async def browser(store: ServerStore) -> AsyncIterator[httpx.AsyncClient]:
    async with pages(store, auth=True) as client:
        yield client


def _token(headers: dict[str, str]) -> str:
    return headers["authorization"].removeprefix("Bearer ")


async def _sign_in(browser: httpx.AsyncClient, token: str) -> httpx.Response:
    form = await browser.get("/login", headers=PAGE)
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text)
    assert csrf is not None
    return await browser.post(
        "/login", data={"csrf": csrf.group(1), "token": token, "next": "/runs?state=Error"}
    )


async def test_a_page_without_a_session_sends_the_browser_to_sign_in(
    browser: httpx.AsyncClient,
) -> None:
    response = await browser.get("/", headers=PAGE)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F"


async def test_signing_in_keeps_the_token_in_an_httponly_strict_cookie(
    browser: httpx.AsyncClient, store: ServerStore
) -> None:
    response = await _sign_in(browser, _token(await bearer(store, "viewer")))
    assert response.status_code == 303
    assert response.headers["location"] == "/runs?state=Error"
    cookie = next(c for c in response.headers.get_list("set-cookie") if "xene_session=" in c)
    assert "HttpOnly" in cookie
    assert "SameSite=strict" in cookie
    page = await browser.get("/", headers=PAGE)
    assert page.status_code == 200
    assert "a-viewer" in page.text
    api = await browser.get("/api/v1/workflows")  # the API takes the session too
    assert api.status_code == 200


async def test_a_bad_token_is_refused_on_the_form_saying_why(
    browser: httpx.AsyncClient,
) -> None:
    response = await _sign_in(browser, "not-a-token")
    assert response.status_code == 401
    assert 'role="alert"' in response.text
    assert "xene_session" not in response.headers.get("set-cookie", "")


async def test_a_write_by_the_session_needs_the_csrf_header(
    browser: httpx.AsyncClient, store: ServerStore
) -> None:
    await _sign_in(browser, _token(await bearer(store, "manager")))
    without = await browser.delete("/api/v1/workflows/nope")
    assert without.status_code == 403
    assert "X-Xene-CSRF" in without.json()["error"]
    csrf = browser.cookies["xene_csrf"]
    with_header = await browser.delete("/api/v1/workflows/nope", headers={"x-xene-csrf": csrf})
    assert with_header.status_code == 404  # past the guard: there is no such workflow


async def test_a_form_posted_by_another_site_is_refused(
    browser: httpx.AsyncClient, store: ServerStore
) -> None:
    await _sign_in(browser, _token(await bearer(store, "manager")))
    forged = await browser.post(
        "/api/v1/runs/x/cancel",
        headers={"sec-fetch-site": "cross-site", "x-xene-csrf": browser.cookies["xene_csrf"]},
    )
    assert forged.status_code == 403
    login = await browser.post(
        "/login", data={"token": "t"}, headers={"sec-fetch-site": "cross-site"}
    )
    assert login.status_code == 403


async def test_an_agent_token_cannot_sign_in(
    browser: httpx.AsyncClient, store: ServerStore
) -> None:
    response = await _sign_in(browser, _token(await bearer(store, "agent")))
    assert response.status_code == 403


async def test_signing_out_forgets_the_session(
    browser: httpx.AsyncClient, store: ServerStore
) -> None:
    await _sign_in(browser, _token(await bearer(store, "viewer")))
    out = await browser.post("/logout", data={"csrf": browser.cookies["xene_csrf"]})
    assert out.status_code == 303
    assert (await browser.get("/", headers=PAGE)).status_code == 303


async def test_an_unknown_page_says_so_as_a_page_and_as_json_to_the_api(
    browser: httpx.AsyncClient, store: ServerStore
) -> None:
    await _sign_in(browser, _token(await bearer(store, "viewer")))
    page = await browser.get("/no/such/page", headers=PAGE)
    assert page.status_code == 404
    assert "<h1>Not found</h1>" in page.text
    api = await browser.get("/api/v1/no/such")
    assert api.status_code == 404
    assert api.headers["content-type"] == "application/json"


async def test_static_files_carry_their_hash_and_are_cached_forever(
    browser: httpx.AsyncClient, store: ServerStore
) -> None:
    await _sign_in(browser, _token(await bearer(store, "viewer")))
    page = await browser.get("/", headers=PAGE)
    found = re.search(r'href="(/static/app-[0-9a-f]{10}\.css)"', page.text)
    assert found is not None
    css = await browser.get(found.group(1))
    assert css.status_code == 200
    assert "immutable" in css.headers["cache-control"]
    assert (await browser.get("/static/app.css")).status_code == 404
