"""A real `xene serve` and Debian's Chromium driven by Playwright, for the web UI's tests.

The server runs as a user runs it (a subprocess on a free port, SQLite, tokens on);
Playwright drives `/usr/bin/chromium` (its own browser download cannot work here).
Screenshots go to build/screenshots/ (`shot`), to be looked at.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
"""As the machine's probe starts it: without the background-networking flags Chromium's
calls out are refused by this machine's closed network, many at a time."""
SHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


class NoBrowser(Exception):
    """Chromium or Playwright is missing; the message says what to install."""


def launch(playwright: Any) -> Any:
    if not os.path.exists(CHROMIUM):
        raise NoBrowser(f"{CHROMIUM} is missing (apt-get install chromium)")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Server:
    """`xene serve` in a subprocess of its own home and store, with auth on."""

    def __init__(self, home: Path, *extra: str) -> None:
        self.home = home
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.store = f"sqlite:///{home}/xene.db"
        self.env = {**os.environ, "XENE_HOME": str(home)}
        self.env.pop("XENE_TOKEN", None)
        with open(home / "serve.log", "wb") as log:
            self.process = subprocess.Popen(
                [_xene(), "serve", "--store", self.store, "--port", str(self.port), *extra],
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        self._wait_up()

    def _wait_up(self) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"xene serve exited: {(self.home / 'serve.log').read_text()}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.05)  # polling for readiness, not a timing assertion
        raise RuntimeError("xene serve did not answer within 30 s")

    def token(self, role: str, name: str | None = None) -> str:
        created = subprocess.run(
            [_xene(), "token", "create", "--store", self.store, "--role", role,
             "--name", name or f"{role}-user"],
            env=self.env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        return created.stdout.strip()

    def api(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"authorization": f"Bearer {token}"})

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def _xene() -> str:
    found = shutil.which("xene", path=str(Path(sys.executable).parent))
    assert found is not None, "xene is not installed in this virtualenv"
    return found


def sign_in(page: Any, server: Server, token: str, path: str = "/") -> None:
    page.goto(f"{server.url}{path}")
    page.get_by_label("Token").fill(token)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{server.url}{path}")


def shot(page: Any, name: str) -> Path:
    """A full-page screenshot in build/screenshots/NAME.png."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
