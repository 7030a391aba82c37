"""`xene run`, end to end: the examples, the views, exit codes, options, approvals, Ctrl-C.

Most tests call `xene.cli.main.main` in this process; those that need a real process
(the exit status, no traceback, a signal, a terminal, what gets imported) start one and
are marked `slow`.
"""

from __future__ import annotations

import io
import json
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.integration.cli_helpers import (
    EXAMPLES,
    XENE,
    Terminal,
    forgetting_imported_workflows,
    group_members,
    process_alive,
    run_main,
    run_process,
    wait_until,
    write,
)

FAILING = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: failing}
spec:
  pipelines:
    main:
      tasks:
        boom: {steps: [{name: explode, type: shell, cmd: "echo about to fail; exit 3"}]}
        after:
          dependencies: [boom]
          steps: [{name: never, type: shell, cmd: "echo downstream ran"}]
"""

# A step with a side effect, and a problem further down: nothing may run.
INVALID = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: half-valid}
spec:
  pipelines:
    main:
      tasks:
        touch: {steps: [{name: touch, type: shell, cmd: "touch '{marker}'"}]}
        broken:
          dependencies: [nope]
          steps: [{name: s, type: shell, cmd: "true"}]
"""

SLEEPER = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: sleeper}
spec:
  pipelines:
    main:
      tasks:
        nap: {steps: [{name: nap, type: shell, cmd: "echo $$ > '{pid_file}'; sleep 30"}]}
"""

TWO_PIPELINES = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: two}
spec:
  pipelines:
    first:
      tasks:
        show:
          steps:
            - {name: input, type: shell, cmd: 'echo "input=$XENE_INPUT"'}
            - {name: env, type: shell, cmd: 'echo "target=$TARGET"'}
    second:
      tasks:
        other: {steps: [{name: other, type: shell, cmd: "echo second ran"}]}
"""

GATE = """\
name: gated
nodes:
  gate: {type: std::wait, config: {hook_id: deploy}}
  shipped: {type: std::log, config: {message: "shipped"}}
  held: {type: std::log, config: {message: "held back"}}
edges:
  - {from: gate.out, to: shipped}
  - {from: gate.rejected, to: held}
"""

ONE_NODE = """\
name: one
nodes:
  hello: {type: std::log, config: {message: "hello"}}
edges: []
"""

ORDER = {"order_id": "X-9", "items": [{"price": 30}, {"price": 90, "qty": 2}]}
RUN_LINE = re.compile(r"^✓ run (\S+) \(example-ci/ci\) Success in \S+$")


@pytest.fixture
def no_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """stdin is not a terminal, whatever runs the tests."""
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))


@pytest.fixture
def leftovers() -> Iterator[list[subprocess.Popen[str]]]:
    """Processes a test started; killed if the test left them running."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait()
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def nodes_of(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {node["key"]: node for node in record["nodes"]}


# -- the examples ------------------------------------------------------------------------


@pytest.mark.parametrize("example", ["ci.yaml", "ci.json", "orders.flow.yaml", "etl.py"])
def test_every_example_runs_to_success(capsys: pytest.CaptureFixture[str], example: str) -> None:
    with forgetting_imported_workflows(EXAMPLES):
        result = run_main(capsys, "run", EXAMPLES / example)
    assert result.code == 0, result.err
    assert " Success in " in result.lines[-1]


def test_state_machine_moves_on_the_given_events_and_runs_on_enter_pipelines(
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = EXAMPLES / "traffic-light.fsm.yaml"
    result = run_main(capsys, "run", example, "--event", "turn_yellow", "--event", "turn_red")
    assert result.code == 0, result.err
    assert "turn_yellow: green → yellow" in result.out
    assert "turn_red: yellow → red" in result.out
    assert "lower-barrier/barrier │ red light: barrier down" in result.out
    assert result.lines[-1].endswith("is in red; available events: turn_green")


def test_state_machine_refuses_an_event_and_lists_the_available_ones(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_main(capsys, "run", EXAMPLES / "traffic-light.fsm.yaml", "--event", "turn_red")
    assert result.code == 1
    assert "'turn_red' is not allowed in state 'green'" in result.err
    assert "available now: turn_yellow" in result.err
    assert "barrier down" not in result.out


def test_json_of_a_state_machine_run_is_one_json_document(
    capsys: pytest.CaptureFixture[str],
) -> None:
    example = EXAMPLES / "traffic-light.fsm.yaml"
    result = run_main(capsys, "run", example, "--event", "turn_yellow", "--json")
    assert result.code == 0, result.err
    report = json.loads(result.out)
    assert report["state"] == "yellow"
    assert report["history"] == [{"event": "turn_yellow", "from": "green", "to": "yellow"}]


# -- the views ---------------------------------------------------------------------------


def test_json_prints_one_record_with_states_outputs_durations_and_steps(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_main(capsys, "run", EXAMPLES / "ci.yaml", "--json")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["id"]
    assert record["state"] == "Success"
    assert record["duration_s"] >= 0
    nodes = nodes_of(record)
    assert {key: node["state"] for key, node in nodes.items()} == dict.fromkeys(
        ["setup", "lint", "test", "build"], "Success"
    )
    assert nodes["setup"]["output"] == {"version": "1.2.3"}
    assert all(node["duration_s"] >= 0 for node in nodes.values())
    steps = nodes["setup"]["steps"]
    assert [(s["name"], s["state"], s["exit_code"]) for s in steps] == [
        ("checkout", "Success", 0),
        ("version", "Success", 0),
    ]


def test_plain_view_prefixes_step_output_and_ends_with_the_run_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    result = run_main(capsys, "run", EXAMPLES / "ci.yaml")
    assert result.code == 0, result.err
    lines = [line.strip() for line in result.lines]
    assert "setup/checkout │ checked out hello-xene" in lines
    assert "lint/style │ style ok" in lines
    assert "test/report │ 2 PASSED" in lines
    first, last = lines[0], lines[-1]
    assert (match := RUN_LINE.match(last)), last
    assert first == f"run {match[1]}: example-ci/ci"


def test_quiet_prints_only_the_outcome_line(capsys: pytest.CaptureFixture[str]) -> None:
    result = run_main(capsys, "run", EXAMPLES / "ci.yaml", "--quiet")
    assert result.code == 0, result.err
    assert len(result.lines) == 1
    assert RUN_LINE.match(result.lines[0]), result.out
    assert result.err == ""


# -- exit codes --------------------------------------------------------------------------


@pytest.mark.slow
def test_failing_step_exits_1_and_runs_nothing_downstream(tmp_path: Path) -> None:
    result = run_process("run", write(tmp_path, "failing.yaml", FAILING))
    assert result.code == 1, result.err
    assert "boom/explode │ about to fail" in result.out
    assert "step 'explode' exited with code 3" in result.lines[-1]
    assert "downstream ran" not in result.out


@pytest.mark.slow
def test_invalid_file_exits_2_with_located_problems_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "side-effect"
    flow = write(tmp_path, "half-valid.yaml", INVALID.replace("{marker}", str(marker)))
    result = run_process("run", flow)
    assert result.code == 2
    problem = (
        rf"^{re.escape(str(flow))}:10: spec\.pipelines\.main\.tasks\.broken\.dependencies\[0\]: "
        r"unknown task \"nope\""
    )
    assert re.search(problem, result.err, re.MULTILINE), result.err
    assert "Traceback" not in result.err
    assert result.out == ""
    assert not marker.exists()


def test_missing_file_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    result = run_main(capsys, "run", tmp_path / "nowhere.yaml")
    assert result.code == 2
    assert "nowhere.yaml: no such file" in result.err


@pytest.mark.parametrize(
    ("given", "message"),
    [("{bad", "--input:1: not valid JSON"), ("@absent.json", "cannot read the file")],
    ids=["text", "file"],
)
def test_bad_input_exits_2_before_running(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, given: str, message: str
) -> None:
    result = run_main(capsys, "run", EXAMPLES / "ci.yaml", "--input", given)
    assert result.code == 2
    assert message in result.err
    assert result.out == ""


def test_unknown_pipeline_exits_2_naming_the_known_ones(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = write(tmp_path, "two.yaml", TWO_PIPELINES)
    result = run_main(capsys, "run", flow, "--pipeline", "third")
    assert result.code == 2
    assert "no pipeline 'third'" in result.err
    assert "it has: first, second" in result.err
    assert result.out == ""


@pytest.mark.slow
def test_interrupt_cancels_the_run_stops_its_steps_and_exits_130(
    tmp_path: Path, leftovers: list[subprocess.Popen[str]]
) -> None:
    pid_file = tmp_path / "step.pid"
    flow = write(tmp_path, "sleeper.yaml", SLEEPER.replace("{pid_file}", str(pid_file)))
    xene = subprocess.Popen(
        [*XENE, "run", str(flow), "--json"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    leftovers.append(xene)
    wait_until(
        lambda: pid_file.exists() and pid_file.read_text().endswith("\n"),
        what="the step to write its pid",
    )
    step = int(pid_file.read_text())
    xene.send_signal(signal.SIGINT)
    out, err = xene.communicate(timeout=20)
    assert xene.returncode == 130, err
    assert not process_alive(step)
    assert group_members(step) == []  # `sleep`, the step's child, is gone too
    record = json.loads(out)
    assert record["state"] == "Cancelled"
    assert nodes_of(record)["nap"]["state"] == "Cancelled"


@pytest.mark.slow
@pytest.mark.parametrize("limit", ["0", "-1"])
def test_max_concurrency_below_one_is_a_usage_error(tmp_path: Path, limit: str) -> None:
    manifest = write(tmp_path, "failing.yaml", FAILING)
    try:
        result = run_process("run", manifest, "--max-concurrency", limit, timeout=2)
    except subprocess.TimeoutExpired:
        pytest.fail(f"xene run --max-concurrency {limit} hangs")
    assert result.code == 2
    assert "--max-concurrency" in result.err


# -- options -----------------------------------------------------------------------------


def test_input_json_reaches_the_entry_nodes(capsys: pytest.CaptureFixture[str]) -> None:
    example = EXAMPLES / "orders.flow.yaml"
    result = run_main(capsys, "run", example, "--input", json.dumps(ORDER), "--json")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["input"] == ORDER
    nodes = nodes_of(record)
    assert nodes["receive"]["output"] == ORDER
    assert nodes["order_total"]["output"] == {"total": 210}
    assert nodes["small_order"]["state"] == "Skipped"


def test_input_from_a_file_reaches_the_entry_tasks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = write(tmp_path, "two.yaml", TWO_PIPELINES)
    data = write(tmp_path, "in.json", '{"order_id": 7}')
    result = run_main(capsys, "run", flow, "--pipeline", "first", "--input", f"@{data}")
    assert result.code == 0, result.err
    assert 'show/input │ input={"order_id": 7}' in result.out


def test_env_reaches_every_step(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    flow = write(tmp_path, "two.yaml", TWO_PIPELINES)
    result = run_main(capsys, "run", flow, "-p", "first", "--env", "TARGET=prod=eu")
    assert result.code == 0, result.err
    assert "show/env │ target=prod=eu" in result.out


def test_pipeline_option_runs_only_that_pipeline(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = write(tmp_path, "two.yaml", TWO_PIPELINES)
    result = run_main(capsys, "run", flow, "--pipeline", "second", "--json")
    assert result.code == 0, result.err
    record = json.loads(result.out)
    assert record["pipeline"] == "second"
    assert list(nodes_of(record)) == ["other"]


def test_every_pipeline_runs_without_the_pipeline_option(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = write(tmp_path, "two.yaml", TWO_PIPELINES)
    result = run_main(capsys, "run", flow, "--json")
    assert result.code == 0, result.err
    records = json.loads(result.out)
    assert [r["pipeline"] for r in records] == ["first", "second"]
    assert {r["state"] for r in records} == {"Success"}


# -- approvals ---------------------------------------------------------------------------


@pytest.mark.usefixtures("no_terminal")
def test_rejected_approval_continues_on_the_rejected_branch(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    flow = write(tmp_path, "gate.flow.yaml", GATE)
    result = run_main(capsys, "run", flow, "--approve", "gate=reject", "--json")
    assert result.code == 0, result.err
    nodes = nodes_of(json.loads(result.out))
    assert nodes["gate"]["ports"] == ["rejected"]
    assert nodes["held"]["state"] == "Success"
    assert nodes["shipped"]["state"] == "Skipped"


@pytest.mark.slow
def test_wait_without_a_terminal_or_approve_suspends_the_run_and_exits_3(tmp_path: Path) -> None:
    flow = write(tmp_path, "gate.flow.yaml", GATE)
    result = run_process("run", flow)
    assert result.code == 3, result.err
    assert re.search(r"^ +xene approve deploy-\S+ ", result.err, re.MULTILINE), result.err
    assert " Suspended " in result.lines[-1]
    assert "shipped │" not in result.out
    assert "held back" not in result.out


@pytest.mark.slow
def test_wait_on_a_terminal_asks_and_continues_on_approve(tmp_path: Path) -> None:
    flow = write(tmp_path, "gate.flow.yaml", GATE)
    terminal = Terminal("run", flow, cwd=tmp_path)
    try:
        terminal.expect("[a]pprove")
        terminal.send("a\n")
        code = terminal.finish()
    finally:
        terminal.close()
    assert code == 0, terminal.text
    assert "shipped │ shipped" in terminal.text
    assert "held back" not in terminal.text
    assert "(gated/gated) Success" in terminal.text


# -- help and start-up -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "options"),
    [
        ([], ["run", "validate", "graph", "--version"]),
        (["run"], ["--pipeline", "--input", "--env", "--approve", "--event", "--json"]),
        (["validate"], ["FILE"]),
        (["graph"], ["--format", "mermaid", "dot", "--pipeline"]),
    ],
    ids=["xene", "run", "validate", "graph"],
)
def test_help_exits_0_and_lists_the_options(
    capsys: pytest.CaptureFixture[str], command: list[str], options: list[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_main(capsys, *command, "--help")
    assert exit_.value.code == 0
    text = capsys.readouterr().out
    assert all(option in text for option in options), text


@pytest.mark.slow
def test_run_imports_neither_the_web_nor_the_terminal_library(tmp_path: Path) -> None:
    flow = write(tmp_path, "one.flow.yaml", ONE_NODE)
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", *XENE[1:], "run", str(flow), "--quiet"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    imported = {
        line.rsplit("|", 1)[-1].strip()
        for line in completed.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "xene.cli.run" in imported
    assert {name.split(".")[0] for name in imported} & {"httpx", "rich"} == set()
