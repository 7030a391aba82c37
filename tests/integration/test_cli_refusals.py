"""The CLI refuses what is not built yet: a queue trigger is invalid everywhere (and a
container executor, which runs now, is no longer warned of); and `xene get` says why a
circuit breaker paused a pipeline, until `xene pipeline resume` re-arms it."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.integration.cli_helpers import EXAMPLES, FIXTURES, run_main
from tests.integration.remote import no_server_from_the_environment, server, xene
from tests.integration.server_thread import ServerThread

Capsys = pytest.CaptureFixture[str]
CONTAINER = EXAMPLES / "container.yaml"
FLAKY = """\
name: flaky
nodes:
  work: {type: std::shell, config: {command: "exit 1"}}
settings:
  circuit_breaker_threshold: 1
  circuit_breaker_window: 1
"""


# -- the container executor ----------------------------------------------------------------
def test_validate_accepts_a_container_executor_without_a_warning(capsys: Capsys) -> None:
    result = run_main(capsys, "validate", CONTAINER)
    assert result.code == 0
    assert result.out.startswith(f"ok  {CONTAINER}: manifest 'go-in-a-container'")
    assert result.err == ""


# -- triggers not built yet ----------------------------------------------------------------
def test_run_refuses_a_queue_trigger(capsys: Capsys) -> None:
    path = FIXTURES / "invalid" / "queue-trigger.flow.yaml"
    result = run_main(capsys, "run", path, "--store", "memory://")
    assert result.code == 2
    assert result.err.startswith(
        f'{path}:5: triggers[0].type: trigger type "queue" is not supported yet; '
    )


# -- the circuit breaker -------------------------------------------------------------------
def breaker_line(capsys: Capsys, server: ServerThread) -> str:
    shown = xene(capsys, server, "get", "flaky")
    assert shown.code == 0, shown.err
    (line,) = [line for line in shown.lines if "circuit breaker" in line]
    return line


def test_get_says_why_the_breaker_paused_a_pipeline_and_resume_re_arms_it(
    capsys: Capsys, server: ServerThread, tmp_path: Path
) -> None:
    path = tmp_path / "flaky.yaml"
    path.write_text(FLAKY)
    xene(capsys, server, "apply", path)
    assert breaker_line(capsys, server) == (
        "  flaky: circuit breaker armed: pauses it once 1 of its last 1 runs failed"
    )
    started = xene(capsys, server, "trigger", "flaky", "flaky")
    server.wait_run(started.out.strip())
    deadline = time.monotonic() + 30
    while "paused by its circuit breaker" not in (line := breaker_line(capsys, server)):
        assert time.monotonic() < deadline, line
        time.sleep(0.05)
    assert line.startswith("  flaky: paused by its circuit breaker at ")
    assert line.endswith(
        ": 1 of its last 1 runs failed (circuit_breaker_threshold 1); "
        "`xene pipeline resume flaky flaky` re-arms it"
    )
    resumed = xene(capsys, server, "pipeline", "resume", "flaky", "flaky")
    assert resumed.out == "flaky/flaky: active\n"
    assert "armed" in breaker_line(capsys, server)


__all__ = ["no_server_from_the_environment", "server"]  # fixtures, used by name
