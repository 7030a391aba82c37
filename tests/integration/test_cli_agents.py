"""`xene agents` and `xene agent drain|forget NAME` against a real server."""

from __future__ import annotations

import json
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.cli_helpers import run_main
from tests.integration.server_thread import ServerThread, serving

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerThread]:
    with serving(f"sqlite:///{tmp_path}/xene.db") as server:
        yield server


def register(server: ServerThread, name: str, *labels: str) -> None:
    body = {"name": name, "labels": list(labels), "capacity": 3, "version": "0.1.0", "host": "h1"}
    answer = httpx.post(f"{server.url}/api/v1/agent/register", json=body)
    assert answer.status_code == 200, answer.text


def rows(capsys: Capsys, server: ServerThread) -> dict[str, list[str]]:
    """`xene agents`'s rows by agent name (the server's own agent among them)."""
    shown = run_main(capsys, "agents", "--server", server.url)
    assert shown.code == 0, shown.err
    header, *lines = shown.lines
    assert header.split() == ["NAME", "STATE", "LABELS", "RUNS", "HEARTBEAT", "VERSION", "HOST"]
    return {line.split()[0]: line.split() for line in lines}


def test_agents_lists_each_with_its_state(capsys: Capsys, server: ServerThread) -> None:
    register(server, "gpu-1", "gpu", "linux")
    register(server, "cpu-1")
    found = rows(capsys, server)
    assert found["cpu-1"][1:4] == ["online", "-", "0/3"]
    assert found["gpu-1"][1:4] == ["online", "gpu,linux", "0/3"]
    listed = json.loads(run_main(capsys, "agents", "--json", "--server", server.url).out)
    names = [a["name"] for a in listed]
    assert names == sorted(names)
    assert {"cpu-1", "gpu-1"} <= set(names)


def test_the_servers_own_agent_is_one_of_them(capsys: Capsys, server: ServerThread) -> None:
    own = f"{socket.gethostname()}:{os.getpid()}"  # the server runs in this process
    deadline = time.monotonic() + 20
    while own not in (found := rows(capsys, server)):
        assert time.monotonic() < deadline, "the built-in agent never registered"
        time.sleep(0.05)
    assert found[own][1:4] == ["online", "-", "0/4"]


def test_drain_then_forget(capsys: Capsys, server: ServerThread) -> None:
    register(server, "gpu-1", "gpu")
    drained = run_main(capsys, "agent", "drain", "gpu-1", "--server", server.url)
    assert (drained.code, drained.out.strip()) == (0, "gpu-1: draining (0 runs still running)")
    assert rows(capsys, server)["gpu-1"][1] == "draining"
    forgotten = run_main(capsys, "agent", "forget", "gpu-1", "--server", server.url)
    assert (forgotten.code, forgotten.out.strip()) == (0, "gpu-1: forgotten")
    assert "gpu-1" not in rows(capsys, server)


def test_an_unknown_agent_is_said_so(capsys: Capsys, server: ServerThread) -> None:
    register(server, "gpu-1")
    result = run_main(capsys, "agent", "drain", "nope", "--server", server.url)
    assert result.code == 2
    assert "no agent 'nope'; agents known: " in result.err
    assert "gpu-1" in result.err


def test_agents_needs_a_server(capsys: Capsys) -> None:
    result = run_main(capsys, "agents")
    assert result.code == 2
    assert "`xene agents` talks to a Xene server" in result.err
