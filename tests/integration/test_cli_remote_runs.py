"""`xene cancel`, `xene retry` and id prefixes against a real server (`--server`)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.cli_helpers import run_main
from tests.integration.remote import no_server_from_the_environment, server, xene
from tests.integration.server_thread import ServerThread, serving

Capsys = pytest.CaptureFixture[str]

FLAKY = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {{name: shop}}
spec:
  triggers: {{go: {{type: manual}}}}
  pipelines:
    ci:
      trigger: go
      tasks:
        lint: {{steps: [{{name: ruff, type: shell, cmd: "echo lint ran"}}]}}
        test:
          dependencies: [lint]
          steps:
            - {{name: unit, type: shell, cmd: "echo attempt=$XENE_ATTEMPT; test -f {ok}"}}
    slow:
      trigger: go
      tasks:
        nap: {{steps: [{{name: sleep, type: shell, cmd: "exec sleep 60"}}]}}
"""


@pytest.fixture
def shop(tmp_path: Path) -> Path:
    path = tmp_path / "shop.yaml"
    path.write_text(FLAKY.format(ok=tmp_path / "ok"))
    return path


def failed_run(capsys: Capsys, server: ServerThread, shop: Path, token: str = "") -> str:
    assert xene(capsys, server, "apply", shop).code == 0
    run_id = xene(capsys, server, "trigger", "shop", "ci").out.strip()
    assert server.wait_run(run_id, token=token)["state"] == "Error"
    return run_id


def test_retry_over_a_server_runs_the_failed_task_again_as_attempt_2(
    capsys: Capsys, server: ServerThread, shop: Path, tmp_path: Path
) -> None:
    run_id = failed_run(capsys, server, shop)
    (tmp_path / "ok").touch()
    retried = xene(capsys, server, "retry", run_id.upper()[:14], "--follow")
    assert retried.code == 0, retried.err
    assert "test/unit │ attempt=2" in retried.out
    assert "lint ran" not in retried.out
    shown = xene(capsys, server, "show", run_id)
    assert "  retry 1: by anonymous at " in shown.out
    assert "    ── attempt 2 (retry by anonymous at " in shown.out
    logs = xene(capsys, server, "logs", run_id, "--task", "test").lines
    assert logs[0] == "── attempt 1 ──"
    assert logs[3].startswith("── attempt 2 (retry by anonymous at ")


def test_retry_over_a_server_from_a_node_and_the_run_record_lists_the_retry(
    capsys: Capsys, server: ServerThread, shop: Path
) -> None:
    run_id = failed_run(capsys, server, shop)
    assert xene(capsys, server, "retry", run_id, "--from", "lint").code == 0
    run = server.wait_run(run_id)
    (retry,) = run["retries"]
    assert (retry["by"], retry["from_node"]) == ("anonymous", "lint")
    assert [n["key"] for n in retry["nodes"]] == ["lint", "test"]
    nodes = {n["key"]: n["attempts"] for n in run["nodes"]}
    assert nodes == {"lint": 2, "test": 2}


def test_retry_over_a_server_is_refused_for_an_unknown_node_and_a_successful_run(
    capsys: Capsys, server: ServerThread, shop: Path, tmp_path: Path
) -> None:
    run_id = failed_run(capsys, server, shop)
    unknown = xene(capsys, server, "retry", run_id, "--from", "nope")
    assert unknown.code == 2
    assert "has no node 'nope' to retry from; its nodes: lint, test" in unknown.err
    (tmp_path / "ok").touch()
    xene(capsys, server, "retry", run_id)
    assert server.wait_run(run_id)["state"] == "Success"
    again = xene(capsys, server, "retry", run_id)
    assert again.code == 1
    assert "only a run that ended Error or Cancelled can be retried" in again.err


def test_cancel_over_a_server_stops_a_running_run(
    capsys: Capsys, server: ServerThread, shop: Path
) -> None:
    xene(capsys, server, "apply", shop)
    run_id = xene(capsys, server, "trigger", "shop", "slow").out.strip()
    server.wait_run(run_id, ("Running",))
    cancelled = xene(capsys, server, "cancel", run_id.upper())
    assert cancelled.code == 0, cancelled.err
    assert cancelled.out == f"run {run_id} cancelled\n"
    run = server.wait_run(run_id)
    assert run["state"] == "Cancelled"
    again = xene(capsys, server, "cancel", run_id)
    assert again.code == 1
    assert "has ended already" in again.err
    assert json.loads(xene(capsys, server, "show", run_id, "--json").out)["state"] == "Cancelled"


def test_a_retry_over_a_server_is_recorded_by_the_token_s_name(
    capsys: Capsys,
    tmp_path: Path,
    shop: Path,
    xene_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = f"sqlite:///{tmp_path}/auth.db"  # a server accepts only its store's tokens
    made = run_main(
        capsys, "token", "create", "--role", "manager", "--name", "al", "--store", store
    )
    token = made.out.strip()
    monkeypatch.setenv("XENE_TOKEN", token)
    with serving(store, auth=True) as server:
        run_id = failed_run(capsys, server, shop, token)
        assert xene(capsys, server, "retry", run_id).code == 0
        run = server.wait_run(run_id, token=token)
    assert [r["by"] for r in run["retries"]] == ["al"]


__all__ = ["no_server_from_the_environment", "server"]  # fixtures, used by name
