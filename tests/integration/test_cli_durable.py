"""Durable runs from the command line: approvals, idempotency keys, resuming."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from xene.cli.main import main

GATE = """\
name: deploy
version: "1.0"
nodes:
  gate: {type: std::wait, config: {hook_id: deploy, metadata_fields: [amount]}}
  ship: {type: std::log, config: {message: "shipping ${input.amount}"}}
  stop: {type: std::log, config: {message: "stopped: ${input.approval.reason}"}}
edges:
  - {from: gate, to: ship}
  - {from: gate.rejected, to: stop}
"""


@pytest.fixture
def gate(tmp_path: Path) -> Path:
    path = tmp_path / "gate.yaml"
    path.write_text(GATE)
    return path


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/runs.db"


def xene(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


def hook_of(err: str) -> str:
    line = next(line for line in err.splitlines() if line.strip().startswith("xene approve"))
    return line.split()[2]


def test_a_run_waiting_for_approval_exits_3_naming_the_hook_and_the_command(
    capsys: pytest.CaptureFixture[str], gate: Path, url: str
) -> None:
    code, _, err = xene(capsys, "run", str(gate), "--store", url, "--input", '{"amount": 3}')
    assert code == 3
    assert hook_of(err).startswith("deploy-")
    code, out, _ = xene(capsys, "approvals", "--store", url)
    assert hook_of(err) in out
    assert "amount" in out


def test_approving_continues_the_run_on_the_out_port(
    capsys: pytest.CaptureFixture[str], gate: Path, url: str
) -> None:
    _, _, err = xene(capsys, "run", str(gate), "--store", url, "--input", '{"amount": 3}')
    code, out, _ = xene(capsys, "approve", hook_of(err), "--store", url)
    assert code == 0
    assert "ship │ shipping 3" in out
    assert xene(capsys, "approvals", "--store", url)[1].count("deploy-") == 0


def test_rejecting_with_a_reason_continues_on_the_rejected_port(
    capsys: pytest.CaptureFixture[str], gate: Path, url: str
) -> None:
    _, _, err = xene(capsys, "run", str(gate), "--store", url, "--input", "{}")
    code, out, _ = xene(
        capsys, "approve", hook_of(err), "--reject", "--reason", "friday", "--store", url
    )
    assert code == 0
    assert "stop │ stopped: friday" in out


def test_a_hook_is_decided_only_once(
    capsys: pytest.CaptureFixture[str], gate: Path, url: str
) -> None:
    _, _, err = xene(capsys, "run", str(gate), "--store", url, "--input", "{}")
    hook = hook_of(err)
    xene(capsys, "approve", hook, "--store", url)
    code, _, err = xene(capsys, "approve", hook, "--reject", "--store", url)
    assert code == 1
    assert "decided already: approve" in err


def test_an_unknown_hook_is_a_usage_error(capsys: pytest.CaptureFixture[str], url: str) -> None:
    code, _, err = xene(capsys, "approve", "nope", "--store", url)
    assert code == 2
    assert "xene approvals" in err


@pytest.mark.slow
def test_with_wait_a_run_continues_when_another_process_approves(
    gate: Path, url: str, tmp_path: Path
) -> None:
    command = [sys.executable, "-m", "xene.cli.main", "run", str(gate), "--store", url]
    waiting = subprocess.Popen(
        [*command, "--wait", "--input", '{"amount": 9}', "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    hook = _poll_hook(url, waiting)
    approved = subprocess.run(
        [sys.executable, "-m", "xene.cli.main", "approve", hook, "--store", url],
        check=False,
        capture_output=True,
        text=True,
    )
    out, err = waiting.communicate(timeout=60)
    assert approved.returncode == 0, approved.stderr
    assert "continues in the process that waits for it" in approved.stderr
    assert waiting.returncode == 0, err
    nodes = {n["key"]: n["state"] for n in json.loads(out)["nodes"]}
    assert nodes["ship"] == "Success"


def _poll_hook(url: str, proc: subprocess.Popen[str]) -> str:
    import asyncio

    from xene.store import open_store

    async def pending() -> list[str]:
        store = await open_store(url)
        try:
            return [s.hook_id for s in await store.list_approvals()]
        finally:
            await store.close()

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.communicate()
        hooks = asyncio.run(pending())
        if hooks:
            return hooks[0]
        time.sleep(0.05)
    raise AssertionError("the run never suspended")


def test_an_idempotency_key_starts_one_run_only(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str
) -> None:
    flow = tmp_path / "once.yaml"
    effects = tmp_path / "effects"
    flow.write_text(
        "name: once\nnodes:\n  t: {type: std::shell, config: {command: "
        f'"echo ran >> {effects}"}}}}\nedges: []\n'
    )
    first = xene(capsys, "run", str(flow), "--store", url, "--idempotency-key", "order-7")
    second = xene(capsys, "run", str(flow), "--store", url, "--idempotency-key", "order-7")
    assert (first[0], second[0]) == (0, 0)
    assert "exists already for idempotency key 'order-7'" in second[2]
    assert effects.read_text() == "ran\n"


def test_resume_of_a_finished_run_says_it_has_ended(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str
) -> None:
    flow = tmp_path / "quick.yaml"
    flow.write_text(
        "name: quick\nnodes:\n  t: {type: std::log, config: {message: hi}}\nedges: []\n"
    )
    code, out, _ = xene(capsys, "run", str(flow), "--store", url, "--json")
    run_id = json.loads(out)["id"]
    code, _, err = xene(capsys, "resume", run_id, "--store", url)
    assert code == 1
    assert "has ended already (Success)" in err


def test_run_resume_with_nothing_unfinished_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str
) -> None:
    flow = tmp_path / "quick.yaml"
    flow.write_text(
        "name: quick\nnodes:\n  t: {type: std::log, config: {message: hi}}\nedges: []\n"
    )
    code, _, err = xene(capsys, "run", str(flow), "--store", url, "--resume")
    assert code == 1
    assert "no unfinished run" in err


def test_a_run_whose_definition_is_gone_ends_in_error_on_resume(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, url: str
) -> None:
    import asyncio

    from xene.store import open_store
    from xene.store.base import NewRun, RunSource

    async def orphan() -> None:  # a run of a Python file that was deleted since
        store = await open_store(url)
        source = RunSource(str(tmp_path / "gone.py"), "", "python", "wf", "p")
        await store.create_run(NewRun("r1", "wf", "p", None, source, 1.0, "elsewhere:1", 0.0))
        await store.close()

    asyncio.run(orphan())
    code, _, err = xene(capsys, "resume", "r1", "--store", url)
    assert code == 1
    assert "cannot be recovered" in err
    code, out, _ = xene(capsys, "show", "r1", "--store", url, "--json")
    assert json.loads(out)["state"] == "Error"
