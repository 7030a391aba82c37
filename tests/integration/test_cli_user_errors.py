"""What a user's mistakes look like: `--approve` naming no wait node, a Python workflow
file that fails at import, a Python task that raises (its traceback, user frames only,
in `show`, `logs`, `--json` and the API)."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from tests.integration.cli_helpers import Result, run_main, run_process, write
from tests.integration.server_thread import serving

Capsys = pytest.CaptureFixture[str]

GATE = """\
name: deploy
nodes:
  prepare: {type: std::log, config: {message: preparing}}
  gate: {type: std::wait, config: {hook_id: deploy}}
  ship: {type: std::log, config: {message: shipping}}
edges:
  - {from: prepare, to: gate}
  - {from: gate, to: ship}
"""

FAILING_TASK = """\
import xene


def ratio(value):
    return 1 / value


@xene.task
def extract() -> list[int]:
    return [2, 0]


@xene.task(needs=[extract])
def invert(extract: list[int]) -> list[float]:
    return [ratio(x) for x in extract]


workflow = xene.Workflow("numbers", [xene.Pipeline("invert", [extract, invert])])
"""

PYTHON_NODE = """\
name: calls
nodes:
  divide: {type: std::python, config: {call: "user_code:divide"}}
"""


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/runs.db"


def runs_in(capsys: Capsys, url: str) -> list[str]:
    return run_main(capsys, "runs", "--store", url).lines[1:]


# -- --approve ---------------------------------------------------------------------------
def test_approve_naming_no_wait_node_exits_2_listing_the_wait_nodes(
    capsys: Capsys, tmp_path: Path, url: str
) -> None:
    flow = write(tmp_path, "gate.yaml", GATE)
    result = run_main(capsys, "run", flow, "--store", url, "--approve", "gtae=approve")
    assert result.code == 2
    assert result.err == (
        "xene: --approve gtae=approve: pipeline deploy has no std::wait node 'gtae'; "
        "wait nodes: gate\n"
    )
    assert runs_in(capsys, url) == []


def test_approve_naming_a_node_that_does_not_wait_exits_2(
    capsys: Capsys, tmp_path: Path, url: str
) -> None:
    flow = write(tmp_path, "gate.yaml", GATE)
    result = run_main(capsys, "run", flow, "--store", url, "--approve", "prepare=reject")
    assert result.code == 2
    assert "has no std::wait node 'prepare'; wait nodes: gate" in result.err


def test_approve_for_a_pipeline_without_wait_nodes_says_none_waits(
    capsys: Capsys, tmp_path: Path, url: str
) -> None:
    flow = write(tmp_path, "plain.yaml", "name: plain\nnodes: {say: {type: std::log}}\n")
    result = run_main(capsys, "run", flow, "--store", url, "--approve", "say=approve")
    assert result.code == 2
    assert "pipeline plain has no std::wait node 'say'; none waits for a decision" in result.err


def test_approve_naming_the_wait_node_decides_it(capsys: Capsys, tmp_path: Path, url: str) -> None:
    flow = write(tmp_path, "gate.yaml", GATE)
    result = run_main(capsys, "run", flow, "--store", url, "--approve", "gate=approve")
    assert result.code == 0, result.err


# -- a Python workflow file that fails at import -----------------------------------------
def test_a_workflow_file_failing_at_import_exits_2_at_the_user_s_line(tmp_path: Path) -> None:
    write(tmp_path, "settings.py", "def load():\n    raise KeyError('API_URL')\n")
    workflow = write(tmp_path, "flow.py", "import xene\nimport settings\n\nsettings.load()\n")
    result = run_process("run", workflow, "--store", "memory://", cwd=tmp_path)
    assert result.code == 2
    lines = result.err.splitlines()
    assert lines[0] == (
        f"{tmp_path / 'settings.py'}:2: importing the file failed: KeyError: 'API_URL'"
    )
    assert lines[1:6] == [
        "Traceback (your code, most recent call last):",
        f'  File "{workflow}", line 4, in <module>',
        "    settings.load()",
        f'  File "{tmp_path / "settings.py"}", line 2, in load',
        "    raise KeyError('API_URL')",
    ]
    assert lines[6] == f"{workflow}: 1 problem"
    assert "xene/" not in result.err
    assert "importlib" not in result.err


def test_a_missing_import_in_a_workflow_file_names_the_module(tmp_path: Path) -> None:
    workflow = write(tmp_path, "flow.py", "import xene\nimport no_such_module_here\n")
    result = run_process("validate", workflow)
    assert result.code == 2
    assert result.err.startswith(
        f"{workflow}:2: importing the file failed: ModuleNotFoundError: "
        "No module named 'no_such_module_here'\n"
    )


# -- a Python task that raises -----------------------------------------------------------
@pytest.fixture
def failed(capsys: Capsys, tmp_path: Path, url: str) -> tuple[str, Path]:
    """A run of FAILING_TASK (its `invert` task divides by zero) and the file."""
    workflow = write(tmp_path, "numbers.py", FAILING_TASK)
    result = run_process("run", workflow, "--store", url, "--json", cwd=tmp_path)
    assert result.code == 1, result.err
    return str(json.loads(result.out)["id"]), workflow


def frames(workflow: Path) -> list[str]:
    return [
        "Traceback (your code, most recent call last):",
        f'  File "{workflow}", line 15, in invert',
        "    return [ratio(x) for x in extract]",
    ]


def test_show_keeps_a_python_task_s_traceback_under_its_node(
    capsys: Capsys, url: str, failed: tuple[str, Path]
) -> None:
    run_id, workflow = failed
    lines = run_main(capsys, "show", run_id, "--store", url).lines
    at = next(i for i, line in enumerate(lines) if line.startswith("✗ invert  Error"))
    assert lines[at].endswith("— ZeroDivisionError: division by zero")
    assert lines[at + 1 : at + 4] == ["    " + line for line in frames(workflow)]
    assert f'      File "{workflow}", line 5, in ratio' in lines
    assert not any("xene/" in line for line in lines)


def test_logs_and_json_keep_a_python_task_s_traceback(
    capsys: Capsys, url: str, failed: tuple[str, Path]
) -> None:
    run_id, workflow = failed
    logs = run_main(capsys, "logs", run_id, "--store", url, "--task", "invert").lines
    assert logs[1:4] == frames(workflow)
    assert logs[-1] == "ZeroDivisionError: division by zero"
    record = json.loads(run_main(capsys, "show", run_id, "--store", url, "--json").out)
    error = next(n["error"] for n in record["nodes"] if n["key"] == "invert")
    assert error.splitlines()[:4] == ["ZeroDivisionError: division by zero", *frames(workflow)]


def test_the_api_run_record_keeps_a_python_task_s_traceback(
    url: str, failed: tuple[str, Path]
) -> None:
    run_id, workflow = failed
    with serving(url) as server:
        record = httpx.get(f"{server.url}/api/v1/runs/{run_id}").json()
    error = next(n["error"] for n in record["nodes"] if n["key"] == "invert")
    assert frames(workflow)[1] in error.splitlines()


def test_a_std_python_node_s_failure_keeps_its_traceback(
    capsys: Capsys, tmp_path: Path, url: str
) -> None:
    write(tmp_path, "user_code.py", "def divide(data):\n    return 1 / 0\n")
    flow = write(tmp_path, "calls.yaml", PYTHON_NODE)
    result: Result = run_process("run", flow, "--store", url, "--json", cwd=tmp_path)
    assert result.code == 1
    (node,) = json.loads(result.out)["nodes"]
    assert node["error"].splitlines() == [
        "ZeroDivisionError: division by zero",
        "Traceback (your code, most recent call last):",
        f'  File "{tmp_path / "user_code.py"}", line 2, in divide',
        "    return 1 / 0",
    ]
