"""The runs list page rendered on the server: paging by cursor with the filters kept,
what it says when nothing matches, times as `<time datetime>`."""

from __future__ import annotations

import dataclasses
import html
import re
from collections.abc import AsyncIterator

import httpx
import pytest

from tests.integration.ui.conftest import PAGE, pages
from tests.store.factories import new_run
from xene.engine.clock import new_id
from xene.store.base import ServerStore

T0 = 1_764_000_000.0


@pytest.fixture
async def browser(store: ServerStore) -> AsyncIterator[httpx.AsyncClient]:
    async with pages(store, auth=False) as client:
        yield client


def _rows(text: str) -> list[str]:
    return re.findall(r'<tr data-run="([^"]+)"', text)


def _link(text: str, label: str) -> str:
    found = re.search(rf'<a class="button" href="([^"]+)"[^>]*>{label}</a>', text)
    assert found is not None, f"no {label!r} link"
    return html.unescape(found.group(1))


async def test_older_runs_are_a_link_that_keeps_the_filters(
    browser: httpx.AsyncClient, store: ServerStore
) -> None:
    ids = []
    for i in range(60):
        run = new_run(new_id(T0 + i), created_at=T0 + i, trigger="nightly" if i % 2 else None)
        ids.append((await store.create_run(run))[0])
    await store.create_run(dataclasses.replace(new_run(), workflow="other"))
    first = await browser.get("/runs", params={"workflow": "ci", "trigger": "", "id": ""})
    assert first.status_code == 200
    assert _rows(first.text) == ids[::-1][:50]
    older = _link(first.text, "Older runs")
    assert older == f"/runs?workflow=ci&before={ids[10]}"  # empty filters left out
    second = await browser.get(older, headers=PAGE)
    assert _rows(second.text) == ids[:10][::-1]
    assert "Older runs" not in second.text
    assert _link(second.text, "Newest runs") == "/runs?workflow=ci"
    fired = await browser.get("/runs", params={"trigger": "nightly"})
    assert _rows(fired.text) == ids[1::2][::-1][:50]
    assert 'datetime="2025-11-24T' in first.text


async def test_a_page_with_nothing_to_show_says_why(browser: httpx.AsyncClient) -> None:
    empty = await browser.get("/runs", headers=PAGE)
    assert "No runs yet." in empty.text
    unknown = await browser.get("/runs", params={"state": "Exploded"}, headers=PAGE)
    assert unknown.status_code == 200
    assert "No run matches these filters." in unknown.text
    bad = await browser.get("/runs", params={"created_after": "soon"}, headers=PAGE)
    assert bad.status_code == 422
    assert "<h1>" in bad.text
    assert "ISO 8601" in html.unescape(bad.text)
