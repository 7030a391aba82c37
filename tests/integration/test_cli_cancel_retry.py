"""`xene cancel` and `xene retry` on a SQLite store: what runs again, attempts that keep
counting, the retry in `show` and `logs`, and a cancel that reaches a live `xene run`."""

from __future__ import annotations

import asyncio
import getpass
import json
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_helpers import XENE, process_alive, run_main, wait_until
from xene.store import open_store, rows
from xene.store.base import Batch, NewRun, RunSource, StoredRun

Capsys = pytest.CaptureFixture[str]

FLAKY = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: shop}
spec:
  pipelines:
    ci:
      tasks:
        lint:
          steps:
            - {name: ruff, type: shell, cmd: "echo lint ran"}
        test:
          dependencies: [lint]
          steps:
            - {name: unit, type: shell, cmd: "echo attempt=$XENE_ATTEMPT; test -f ok"}
        deploy:
          dependencies: [test]
          steps:
            - {name: push, type: shell, cmd: "echo deploy attempt=$XENE_ATTEMPT; test -f ok2"}
"""

SLEEPY = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: slow}
spec:
  pipelines:
    wait:
      tasks:
        nap:
          steps:
            - {name: sleep, type: shell, cmd: "echo $$ > nap.pid; exec sleep 60"}
"""

GATE = """\
name: deploy
nodes:
  gate: {type: std::wait, config: {hook_id: deploy}}
  ship: {type: std::log, config: {message: shipping}}
edges:
  - {from: gate, to: ship}
"""


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/runs.db"


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The directory steps run in (they test for `ok` there)."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


def xene(capsys: Capsys, url: str, *argv: str) -> tuple[int, str, str]:
    result = run_main(capsys, *argv, "--store", url)
    return result.code, result.out, result.err


def failed_run(capsys: Capsys, url: str, work: Path, text: str = FLAKY) -> str:
    """`xene run` of a workflow whose `test` task fails; the run's id."""
    path = work / "flow.yaml"
    path.write_text(text)
    code, out, _ = xene(capsys, url, "run", str(path), "--json")
    assert code == 1
    return str(json.loads(out)["id"])


def stored(url: str, run_id: str) -> StoredRun:
    async def read() -> StoredRun | None:
        store = await open_store(url)
        try:
            return await store.get_run(run_id)
        finally:
            await store.close()

    found = asyncio.run(read())
    assert found is not None
    return found


def states(url: str, run_id: str) -> dict[str, tuple[str, int]]:
    nodes = stored(url, run_id).record.nodes
    return {key: (str(node.state), node.attempt) for key, node in nodes.items()}


# -- retry -------------------------------------------------------------------------------
def test_retry_runs_the_failed_nodes_again_and_attempts_go_on_counting(
    capsys: Capsys, url: str, work: Path
) -> None:
    run_id = failed_run(capsys, url, work)
    (work / "ok").touch()
    (work / "ok2").touch()
    code, out, err = xene(capsys, url, "retry", run_id)
    assert code == 0, err
    assert f"retry 1 of run {run_id} by {getpass.getuser()}: test (attempt 2)" in err
    assert "test/unit │ attempt=2" in out
    assert "lint ran" not in out
    assert states(url, run_id) == {
        "lint": ("Success", 1), "test": ("Success", 2), "deploy": ("Success", 1),
    }  # fmt: skip


def test_retry_from_a_node_runs_it_and_everything_downstream_again(
    capsys: Capsys, url: str, work: Path
) -> None:
    (work / "ok").touch()
    run_id = failed_run(capsys, url, work)  # deploy fails: no ok2
    (work / "ok2").touch()
    code, out, err = xene(capsys, url, "retry", run_id, "--from", "test")
    assert code == 0, err
    assert "test/unit │ attempt=2" in out
    assert "deploy/push │ deploy attempt=2" in out
    assert "lint ran" not in out
    assert states(url, run_id)["lint"] == ("Success", 1)


def test_retry_accepts_an_id_prefix_in_another_case(capsys: Capsys, url: str, work: Path) -> None:
    run_id = failed_run(capsys, url, work)
    code, _, err = xene(capsys, url, "retry", run_id[:12].swapcase())
    assert code == 1  # test fails again: the run was retried
    assert f"retry 1 of run {run_id}" in err


def test_retry_of_a_run_that_succeeded_is_refused_and_changes_nothing(
    capsys: Capsys, url: str, work: Path
) -> None:
    (work / "ok").touch()
    (work / "ok2").touch()
    path = work / "flow.yaml"
    path.write_text(FLAKY)
    run_id = json.loads(xene(capsys, url, "run", str(path), "--json")[1])["id"]
    code, _, err = xene(capsys, url, "retry", run_id)
    assert code == 1
    assert "ended Success: only a run that ended Error or Cancelled can be retried" in err
    assert stored(url, run_id).retries == ()


def test_retry_from_an_unknown_node_exits_2_naming_the_nodes(
    capsys: Capsys, url: str, work: Path
) -> None:
    run_id = failed_run(capsys, url, work)
    code, _, err = xene(capsys, url, "retry", run_id, "--from", "tset")
    assert code == 2
    assert "has no node 'tset' to retry from; its nodes: lint, test, deploy" in err
    assert stored(url, run_id).retries == ()
    assert str(stored(url, run_id).record.state) == "Error"


def test_show_says_who_retried_the_run_and_marks_each_attempt(
    capsys: Capsys, url: str, work: Path
) -> None:
    run_id = failed_run(capsys, url, work)
    (work / "ok").touch()
    (work / "ok2").touch()
    xene(capsys, url, "retry", run_id)
    _, out, _ = xene(capsys, url, "show", run_id)
    user = getpass.getuser()
    assert f"  retry 1: by {user} at " in out
    assert "(test, deploy run again)" in out
    lines = out.splitlines()
    test = next(i for i, line in enumerate(lines) if line.startswith("✓ test  Success"))
    assert lines[test].endswith("attempt 2")
    assert lines[test + 1].startswith("    ── attempt 1 ──  ✗ Error")
    assert lines[test + 1].endswith("— step 'unit' exited with code 1")
    assert lines[test + 2].startswith(f"    ── attempt 2 (retry by {user} at ")


def test_logs_put_each_attempt_under_its_header(capsys: Capsys, url: str, work: Path) -> None:
    run_id = failed_run(capsys, url, work)
    (work / "ok").touch()
    (work / "ok2").touch()
    xene(capsys, url, "retry", run_id)
    _, out, _ = xene(capsys, url, "logs", run_id, "--task", "test")
    lines = out.splitlines()
    assert lines[0] == "── attempt 1 ──"
    assert lines[2] == "attempt=1"
    assert lines[3].startswith(f"── attempt 2 (retry by {getpass.getuser()} at ")
    assert lines[5] == "attempt=2"


def test_show_json_lists_the_retries(capsys: Capsys, url: str, work: Path) -> None:
    run_id = failed_run(capsys, url, work)
    xene(capsys, url, "retry", run_id, "--from", "test")
    _, out, _ = xene(capsys, url, "show", run_id, "--json")
    (retry,) = json.loads(out)["retries"]
    assert (retry["number"], retry["by"], retry["from_node"]) == (1, getpass.getuser(), "test")
    assert [n["key"] for n in retry["nodes"]] == ["test", "deploy"]
    assert retry["nodes"][0]["state"] == "Error"


# -- cancel ------------------------------------------------------------------------------
def dead_owner() -> str:
    """`host:pid` of a process of this host that has ended."""
    child = subprocess.Popen(["true"])
    child.wait()
    return f"{socket.gethostname()}:{child.pid}"


def running_run(url: str, owner: str) -> str:
    """A run left Running, with a Running node and step, by `owner`."""
    from xene.core.records import NodeRecord, RunRecord, StepRecord
    from xene.core.states import State

    source = RunSource("/defs/x.yaml", "", "manifest", "x", "build")
    new = NewRun("01HXCANCEL000000000000000A", "x", "build", None, source, 1.0, owner, 9e9)
    run = RunRecord(new.id, "x", "build", state=State.RUNNING, started_at=2.0)
    node = NodeRecord("build", "build", "task", state=State.RUNNING, attempt=1, started_at=2.0)
    step = StepRecord("make", State.RUNNING, started_at=2.0)
    batch = Batch(
        run=rows.run_row(run), nodes=[rows.node_row(node)], steps=[rows.step_row("build", 0, step)]
    )

    async def write() -> None:
        store = await open_store(url)
        try:
            await store.create_run(new)
            await store.commit(new.id, batch)
        finally:
            await store.close()

    asyncio.run(write())
    return new.id


def test_cancel_of_a_run_whose_process_died_marks_it_cancelled(capsys: Capsys, url: str) -> None:
    run_id = running_run(url, dead_owner())
    code, out, _ = xene(capsys, url, "cancel", run_id.lower()[:14])
    assert code == 0
    assert out == f"run {run_id} cancelled\n"
    run = stored(url, run_id).record
    assert (str(run.state), run.error) == ("Cancelled", f"cancelled by {getpass.getuser()}")
    assert str(run.nodes["build"].state) == "Cancelled"
    assert str(run.nodes["build"].steps[0].state) == "Cancelled"


def test_cancel_of_a_suspended_run_marks_it_cancelled(capsys: Capsys, url: str, work: Path) -> None:
    path = work / "gate.yaml"
    path.write_text(GATE)
    code, out, _ = xene(capsys, url, "run", str(path), "--json")
    assert code == 3
    run_id = json.loads(out)["id"]
    assert xene(capsys, url, "cancel", run_id)[0] == 0
    assert str(stored(url, run_id).record.state) == "Cancelled"


def test_cancel_of_a_finished_run_is_refused(capsys: Capsys, url: str, work: Path) -> None:
    run_id = failed_run(capsys, url, work)
    code, _, err = xene(capsys, url, "cancel", run_id)
    assert code == 1
    assert f"run {run_id} has ended already (Error)" in err


def test_cancel_of_an_unknown_run_exits_2(capsys: Capsys, url: str) -> None:
    code, _, err = xene(capsys, url, "cancel", "01nosuchrun")
    assert code == 2
    assert "no run '01nosuchrun'" in err


@pytest.mark.slow
def test_cancel_reaches_a_xene_run_executing_the_run(capsys: Capsys, url: str, work: Path) -> None:
    (work / "slow.yaml").write_text(SLEEPY)
    running = subprocess.Popen(
        [*XENE, "run", "slow.yaml", "--store", url, "--json"],
        cwd=work,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_until(lambda: (work / "nap.pid").exists() and bool((work / "nap.pid").read_text()))
        step_pid = int((work / "nap.pid").read_text())
        run_id = _only_run(url)
        code, out, err = xene(capsys, url, "cancel", run_id.upper(), "--timeout", "20")
        assert code == 0, err
        assert "cancel requested" in err
        assert out == f"run {run_id} cancelled\n"
        out, _ = running.communicate(timeout=30)
    finally:
        if running.poll() is None:
            running.kill()
            running.wait()
    assert running.returncode == 1
    assert json.loads(out)["state"] == "Cancelled"
    assert str(stored(url, run_id).record.state) == "Cancelled"
    wait_until(lambda: not process_alive(step_pid), what="the step's process to end")


def _only_run(url: str) -> str:
    from xene.store.base import RunFilter

    async def ids() -> list[Any]:
        store = await open_store(url)
        try:
            return [r.id for r in await store.list_runs(RunFilter())]
        finally:
            await store.close()

    found: list[Any] = []

    def one() -> bool:
        found[:] = asyncio.run(ids())
        return len(found) == 1

    wait_until(one, what="the run to be recorded")
    return str(found[0])
