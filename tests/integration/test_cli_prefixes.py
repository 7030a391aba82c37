"""Ids typed in any case, and as a unique start: runs, hooks and state-machine instances,
on a store and through a server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_main, write
from tests.integration.server_thread import serving

Capsys = pytest.CaptureFixture[str]

GATE = """\
name: deploy
nodes:
  gate: {type: std::wait, config: {hook_id: Deploy}}
  ship: {type: std::log, config: {message: shipping}}
edges:
  - {from: gate, to: ship}
"""

LIGHT = """\
name: light
state_machine:
  initial_state: green
  events:
    - {name: slow, destination: yellow, sources: [green]}
"""


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/x.db"


def suspended(capsys: Capsys, tmp_path: Path, url: str) -> tuple[str, str]:
    """A run waiting on its gate: (run id, hook id)."""
    result = run_main(capsys, "run", write(tmp_path, "gate.yaml", GATE), "--store", url, "--json")
    assert result.code == 3
    run_id = json.loads(result.out)["id"]
    waiting = json.loads(run_main(capsys, "approvals", "--store", url, "--json").out)
    (hook,) = [s["hook_id"] for s in waiting if s["run_id"] == run_id]
    return run_id, hook


@pytest.mark.parametrize("change", [str.upper, str.lower, str.swapcase])
def test_show_finds_a_run_by_its_id_start_in_any_case(
    capsys: Capsys, tmp_path: Path, url: str, change: object
) -> None:
    run_id, _ = suspended(capsys, tmp_path, url)
    shown = run_main(capsys, "show", change(run_id[:10]), "--store", url)  # type: ignore[operator]
    assert shown.code == 0, shown.err
    assert shown.lines[0].startswith(f"run {run_id} ")


def test_approve_finds_a_hook_by_its_id_in_another_case(
    capsys: Capsys, tmp_path: Path, url: str
) -> None:
    _, hook = suspended(capsys, tmp_path, url)
    decided = run_main(capsys, "approve", hook.swapcase(), "--store", url)
    assert decided.code == 0, decided.err
    assert f"approve: {hook} " in decided.err


def test_approve_finds_a_hook_by_a_unique_start(capsys: Capsys, tmp_path: Path, url: str) -> None:
    _, hook = suspended(capsys, tmp_path, url)
    assert run_main(capsys, "approve", hook[:-3].lower(), "--store", url).code == 0


def test_fsm_finds_an_instance_by_its_id_start_in_any_case(
    capsys: Capsys, tmp_path: Path, url: str
) -> None:
    run_main(capsys, "fsm", "define", write(tmp_path, "light.yaml", LIGHT), "--store", url)
    instance = run_main(capsys, "fsm", "run", "light", "--store", url).out.strip()
    moved = run_main(capsys, "fsm", "event", instance[:12].swapcase(), "slow", "--store", url)
    assert (moved.code, moved.out) == (0, "green -> yellow\n")
    shown = run_main(capsys, "fsm", "show", instance.upper(), "--store", url)
    assert f"instance {instance} of light" in shown.out


def test_a_prefix_several_ids_start_with_is_refused_naming_them(
    capsys: Capsys, tmp_path: Path, url: str
) -> None:
    first, _ = suspended(capsys, tmp_path, url)
    second, _ = suspended(capsys, tmp_path, url)
    common = next(i for i in range(26) if first[i] != second[i])
    result = run_main(capsys, "show", first[:common].upper(), "--store", url)
    assert result.code == 2
    assert "starts several run ids" in result.err
    assert first in result.err
    assert second in result.err


def test_a_server_finds_runs_and_instances_by_their_id_start_in_any_case(
    capsys: Capsys, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("XENE_SERVER", raising=False)
    monkeypatch.delenv("XENE_TOKEN", raising=False)
    with serving(f"sqlite:///{tmp_path}/server.db") as server:
        remote = ("--server", server.url)
        run_main(capsys, "fsm", "define", write(tmp_path, "light.yaml", LIGHT), *remote)
        instance = run_main(capsys, "fsm", "run", "light", *remote).out.strip()
        moved = run_main(capsys, "fsm", "event", instance[:12].swapcase(), "slow", *remote)
        assert (moved.code, moved.out) == (0, "green -> yellow\n"), moved.err
        shown = run_main(capsys, "fsm", "show", instance.upper(), *remote)
        assert f"instance {instance} of light" in shown.out
        run_main(capsys, "apply", write(tmp_path, "gate.yaml", GATE), *remote)
        run_id = run_main(capsys, "trigger", "deploy", "deploy", *remote).out.strip()
        found = run_main(capsys, "show", run_id[:10].swapcase(), *remote)
        assert found.code == 0, found.err
        assert found.lines[0].startswith(f"run {run_id} ")
