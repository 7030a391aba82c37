"""What the tests of the CLI against a server share: a server over a fresh SQLite store,
no server or token from the environment, and `xene ... --server URL` in this process."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli_helpers import Result, run_main
from tests.integration.server_thread import ServerThread, serving


@pytest.fixture(autouse=True)
def no_server_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XENE_SERVER", raising=False)
    monkeypatch.delenv("XENE_TOKEN", raising=False)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerThread]:
    with serving(f"sqlite:///{tmp_path}/server.db") as running:
        yield running


def xene(capsys: pytest.CaptureFixture[str], server: ServerThread, *args: str | Path) -> Result:
    return run_main(capsys, *args, "--server", server.url)
