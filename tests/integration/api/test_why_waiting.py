"""Why a queued run waits, as `xene runs` and `xene show` say it: through a server
(`--server`, from the API's `waiting_for`) and on the server's store (from the agents
the store knows). The server's built-in agent has no label; the run needs `gpu`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.cli_helpers import run_main
from tests.integration.remote import no_server_from_the_environment, xene
from tests.integration.server_thread import ServerThread, serving

__all__ = ["no_server_from_the_environment"]
Capsys = pytest.CaptureFixture[str]
WHY = "no online agent has label gpu"
GPU = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: train}
spec:
  triggers: {go: {type: manual}}
  pipelines:
    fit:
      trigger: go
      agent: {labels: [gpu]}
      tasks:
        t: {steps: [{name: s, cmd: 'echo fitted'}]}
"""


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/server.db"


@pytest.fixture
def queued(capsys: Capsys, tmp_path: Path, store_url: str) -> Iterator[tuple[ServerThread, str]]:
    """A server, and a run of `train/fit` it has queued and says why it waits."""
    (tmp_path / "train.yaml").write_text(GPU)
    with serving(store_url) as server:
        assert xene(capsys, server, "apply", tmp_path / "train.yaml").code == 0
        run_id = xene(capsys, server, "trigger", "train", "fit").out.strip()
        deadline = time.monotonic() + 20
        while httpx.get(f"{server.url}/api/v1/runs/{run_id}").json()["waiting_for"] != WHY:
            assert time.monotonic() < deadline, "the server never said why the run waits"
            time.sleep(0.05)
        yield server, run_id


def test_runs_through_a_server_say_under_a_queued_run_why_it_waits(
    capsys: Capsys, queued: tuple[ServerThread, str]
) -> None:
    server, run_id = queued
    listed = xene(capsys, server, "runs")
    assert listed.code == 0, listed.err
    row = next(i for i, line in enumerate(listed.lines) if line.startswith(run_id))
    assert "WaitingForExecutor" in listed.lines[row]
    assert listed.lines[row + 1].split() == ["waiting:", *WHY.split()]
    (summary,) = json.loads(xene(capsys, server, "runs", "--json").out)
    assert summary["waiting_for"] == WHY


def test_show_through_a_server_says_why_a_run_waits(
    capsys: Capsys, queued: tuple[ServerThread, str]
) -> None:
    server, run_id = queued
    shown = xene(capsys, server, "show", run_id)
    assert shown.code == 0, shown.err
    assert f"  waiting: {WHY}" in shown.lines
    assert json.loads(xene(capsys, server, "show", run_id, "--json").out)["waiting_for"] == WHY


def test_runs_on_the_servers_store_say_why_a_run_waits(
    capsys: Capsys, queued: tuple[ServerThread, str], store_url: str
) -> None:
    _, run_id = queued
    listed = run_main(capsys, "runs", "--store", store_url)
    assert listed.code == 0, listed.err
    assert f"waiting: {WHY}" in listed.out
    assert run_main(capsys, "show", run_id, "--store", store_url).out.count(WHY) == 1


def test_a_run_an_agent_can_take_says_nothing(capsys: Capsys, tmp_path: Path) -> None:
    with serving(f"sqlite:///{tmp_path}/plain.db") as server:
        (tmp_path / "plain.yaml").write_text(GPU.replace("      agent: {labels: [gpu]}\n", ""))
        assert xene(capsys, server, "apply", tmp_path / "plain.yaml").code == 0
        run_id = xene(capsys, server, "trigger", "train", "fit").out.strip()
        assert server.wait_run(run_id)["state"] == "Success"
        assert "waiting:" not in xene(capsys, server, "runs").out
