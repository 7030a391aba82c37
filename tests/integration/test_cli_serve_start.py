"""`xene serve` starting: its port is bound before anything starts, a port in use is
said plainly, and an optional part not installed names the extra to install (simulated
by a finder that refuses the module, in a fresh process)."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli_helpers import Result, run_process
from tests.store.factories import new_run
from xene.store import open_store

BLOCKING = """\
import sys

class Missing:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {blocked!r}:
            raise ModuleNotFoundError(f"No module named {{name!r}}", name=name)
        return None

sys.meta_path.insert(0, Missing())
from xene.cli.main import main
sys.exit(main({argv!r}))
"""


def without(blocked: set[str], *argv: str, cwd: Path) -> Result:
    """`xene ARGV` in a fresh process where the `blocked` modules cannot be imported."""
    code = BLOCKING.format(blocked=blocked, argv=list(argv))
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        env=os.environ.copy(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def taken() -> Iterator[int]:
    """A port another process listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


async def _queue_and_read(url: str, run_id: str | None = None) -> tuple[str, str, str]:
    store = await open_store(url)
    try:
        if run_id is None:
            run = new_run(state="WaitingForExecutor", owner="", lease_until=0.0)
            run_id, _ = await store.create_run(run)
        stored = await store.get_run(run_id)
        assert stored is not None
        return run_id, str(stored.record.state), stored.owner
    finally:
        await store.close()


def test_a_port_in_use_exits_2_saying_so_and_starts_nothing(tmp_path: Path, taken: int) -> None:
    url = f"sqlite:///{tmp_path}/x.db"
    run_id, _, _ = asyncio.run(_queue_and_read(url))  # the agent would claim it at start
    result = run_process("serve", "--port", str(taken), "--store", url, "--no-auth")
    assert result.code == 2
    assert result.err == (
        f"xene: port {taken} on 127.0.0.1 is in use; choose another with --port\n"
    )
    assert asyncio.run(_queue_and_read(url, run_id))[1:] == ("WaitingForExecutor", "")


def test_an_address_not_of_this_machine_exits_2(tmp_path: Path) -> None:
    result = run_process("serve", "--host", "192.0.2.1", "--store", f"sqlite:///{tmp_path}/x.db")
    assert result.code == 2
    assert "cannot listen on 192.0.2.1: not an address of this machine; check --host" in result.err


def test_serve_without_the_server_extra_names_it(tmp_path: Path) -> None:
    result = without({"uvicorn"}, "serve", "--store", f"sqlite:///{tmp_path}/x.db", cwd=tmp_path)
    assert result.code == 2
    assert result.err == (
        "xene: xene serve needs uvicorn, which is not installed: pip install 'xene[server]'\n"
    )


def test_serve_checks_every_module_of_its_extra_first(tmp_path: Path) -> None:
    result = without({"prometheus_client"}, "serve", cwd=tmp_path)
    assert result.code == 2
    assert "needs prometheus_client, which is not installed: pip install 'xene[server]'" in (
        result.err
    )


def test_a_postgresql_store_without_its_extra_names_it(tmp_path: Path) -> None:
    url = "postgresql://postgres@127.0.0.1:5432/test"
    for argv in (("runs", "--store", url), ("serve", "--store", url, "--port", "0")):
        result = without({"psycopg", "psycopg_pool"}, *argv, cwd=tmp_path)
        assert result.code == 2, result.err
        assert result.err.endswith(
            "the PostgreSQL store needs psycopg, which is not installed: "
            "pip install 'xene[postgres]'\n"
        )
        assert "Traceback" not in result.err
