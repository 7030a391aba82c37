"""Fixtures of the web UI's browser tests (harness.py): `server`, `browser`, `page`.

Without Chromium or Playwright these tests skip, loudly, and fail under CI=true
(scripts/system-packages installs chromium as root; the dev extra has Playwright).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import harness


def _unavailable(reason: str) -> None:
    message = f"BROWSER TESTS NOT RUN: {reason}. scripts/system-packages installs chromium."
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip("!!! " + message)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One Chromium per test module. Playwright's sync API runs an event loop of its own
    in this thread while it is open: closed with the module, it never meets the loops
    of the asyncio tests that follow."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as error:
        _unavailable(f"Playwright is not installed ({error})")
    with sync_playwright() as playwright:
        try:
            launched = harness.launch(playwright)
        except harness.NoBrowser as error:
            _unavailable(str(error))
        yield launched
        launched.close()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[harness.Server]:
    started = harness.Server(tmp_path)
    yield started
    started.stop()


@pytest.fixture
def page(browser: Any, server: harness.Server) -> Iterator[Any]:
    """A fresh browser context's page; closed before the server stops (its open event
    streams would hold the server's shutdown)."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(15_000)
    opened = context.new_page()
    yield opened
    context.close()
