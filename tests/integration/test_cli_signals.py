"""Signals mean what supervisors mean: SIGTERM stops `xene run` and leaves the run to
resume (running steps get the grace period first); a dead run's owner is shown gone."""

from __future__ import annotations

import json
import signal
import subprocess
from pathlib import Path

import pytest

from tests.integration.cli_helpers import XENE, run_process, wait_until, write

pytestmark = pytest.mark.slow

FLOW = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: stoppable}
spec:
  pipelines:
    p:
      tasks:
        a:
          steps:
            - name: s
              type: shell
              cmd: >-
                echo "a$XENE_ATTEMPT" >> WORK/EFFECTS; touch WORK/REACHED;
                while [ ! -f WORK/GO ]; do sleep 0.02; done; echo a-done >> WORK/EFFECTS
        b:
          dependencies: [a]
          steps: [{name: s, type: shell, cmd: "echo b >> WORK/EFFECTS"}]
"""


def start(work: Path, *extra: str) -> subprocess.Popen[str]:
    flow = write(work, "flow.yaml", FLOW.replace("WORK", str(work)))
    store = f"sqlite:///{work}/runs.db"
    proc = subprocess.Popen(
        [*XENE, "run", str(flow), "--store", store, "--quiet", *extra],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_until((work / "REACHED").exists, 30, "step a to start")
    return proc


def read_until(proc: subprocess.Popen[str], text: str) -> str:
    """stderr of `proc`, line by line, up to the one holding `text`."""
    assert proc.stderr is not None
    seen = ""
    for line in proc.stderr:
        seen += line
        if text in line:
            return seen
    pytest.fail(f"{text!r} never printed; stderr was:\n{seen}")


def effects(work: Path) -> list[str]:
    return (work / "EFFECTS").read_text().split()


def show(work: Path) -> dict[str, object]:
    result = run_process("show", run_id(work), "--store", f"sqlite:///{work}/runs.db", "--json")
    assert result.code == 0, result.err
    shown: dict[str, object] = json.loads(result.out)
    return shown


def run_id(work: Path) -> str:
    listed = run_process("runs", "--store", f"sqlite:///{work}/runs.db", "--json")
    (run,) = json.loads(listed.out)
    return str(run["id"])


def test_sigterm_lets_the_running_step_finish_starts_nothing_more_and_leaves_the_run(
    tmp_path: Path,
) -> None:
    proc = start(tmp_path, "--grace", "60")
    proc.send_signal(signal.SIGTERM)
    read_until(proc, "stopping (SIGTERM)")
    (tmp_path / "GO").touch()  # the running step finishes within its grace period
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert f"xene resume {run_id(tmp_path)}" in err
    assert effects(tmp_path) == ["a1", "a-done"]  # b did not start
    run = show(tmp_path)
    assert run["state"] == "Running"
    nodes = {n["key"]: n["state"] for n in run["nodes"]}  # type: ignore[attr-defined]
    assert nodes["a"] == "Success"
    resumed = run_process("resume", run_id(tmp_path), "--store", f"sqlite:///{tmp_path}/runs.db")
    assert resumed.code == 0, resumed.err
    assert effects(tmp_path) == ["a1", "a-done", "b"]


def test_a_step_still_running_when_the_grace_period_ends_is_stopped_and_runs_again_on_resume(
    tmp_path: Path,
) -> None:
    proc = start(tmp_path, "--grace", "0.2")
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == 143
    assert effects(tmp_path) == ["a1"]
    assert show(tmp_path)["state"] == "Running"
    (tmp_path / "GO").touch()
    resumed = run_process("resume", run_id(tmp_path), "--store", f"sqlite:///{tmp_path}/runs.db")
    assert resumed.code == 0, resumed.err
    assert effects(tmp_path) == ["a1", "a2", "a-done", "b"]


def test_ctrl_c_still_cancels_the_run_for_good(tmp_path: Path) -> None:
    proc = start(tmp_path)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert show(tmp_path)["state"] == "Cancelled"


def test_a_run_whose_process_died_is_shown_with_its_owner_gone(tmp_path: Path) -> None:
    proc = start(tmp_path)
    proc.kill()
    proc.communicate(timeout=30)
    try:
        store = f"sqlite:///{tmp_path}/runs.db"
        listed = run_process("runs", "--store", store)
        assert "Running (owner gone)" in listed.out
        assert "xene resume ID" in listed.out
        shown = run_process("show", run_id(tmp_path), "--store", store)
        assert f"gone: its process ({show(tmp_path)['owner']}) has ended" in shown.out
        assert f"xene resume {run_id(tmp_path)}" in shown.out
    finally:  # the step may have been too young for the watchdog: let it end, not poll on
        (tmp_path / "GO").touch()


def test_a_live_run_is_not_shown_as_gone(tmp_path: Path) -> None:
    proc = start(tmp_path)
    try:
        assert show(tmp_path)["owner_gone"] is None
    finally:
        (tmp_path / "GO").touch()
        proc.communicate(timeout=30)
    assert proc.returncode == 0
