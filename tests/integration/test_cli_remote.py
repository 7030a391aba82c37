"""The CLI against a real server (`--server`, `XENE_SERVER`, the config file): apply,
get, delete, trigger (and --follow), pipeline modes, runs, show, logs, approvals,
state machines, tokens and auth, and the errors a person sees."""

from __future__ import annotations

import json
import os
import socket
import stat
from pathlib import Path

import httpx
import pytest

from tests.integration.cli_helpers import EXAMPLES, FIXTURES, run_main
from tests.integration.remote import no_server_from_the_environment, server, xene
from tests.integration.server_thread import ServerThread, serving

Capsys = pytest.CaptureFixture[str]

SHELL = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: greet}
spec:
  triggers: {go: {type: manual}}
  pipelines:
    hello:
      trigger: go
      tasks:
        work:
          steps:
            - {name: say, type: shell, cmd: "echo one; sleep 0.3; echo two"}
    broken:
      trigger: go
      tasks:
        work:
          steps:
            - {name: fail, type: shell, cmd: "echo trying; exit 3"}
"""

GATE = """\
name: deploy
version: "1.0"
nodes:
  gate: {type: std::wait, config: {hook_id: deploy, metadata_fields: [amount]}}
  ship: {type: std::log, config: {message: "shipping ${input.amount}"}}
edges:
  - {from: gate, to: ship}
"""


@pytest.fixture
def greet(tmp_path: Path) -> Path:
    path = tmp_path / "greet.yaml"
    path.write_text(SHELL)
    return path


def trigger(capsys: Capsys, server: ServerThread, *args: str) -> str:
    result = xene(capsys, server, "trigger", *args)
    assert result.code == 0, result.err
    return result.out.strip()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# -- apply, get, delete, pipeline modes ---------------------------------------------------
def test_apply_creates_then_reports_unchanged_then_updated(
    capsys: Capsys, server: ServerThread, greet: Path
) -> None:
    assert xene(capsys, server, "apply", greet).out == "created greet (version 1)\n"
    assert xene(capsys, server, "apply", greet).out == "unchanged greet (version 1)\n"
    greet.write_text(SHELL.replace("echo one", "echo uno"))
    assert xene(capsys, server, "apply", greet).out == "updated greet (version 2)\n"


def test_an_invalid_definition_exits_2_with_its_located_problems(
    capsys: Capsys, server: ServerThread
) -> None:
    bad = FIXTURES / "invalid" / "many-problems.yaml"
    result = xene(capsys, server, "apply", bad)
    assert result.code == 2
    assert result.err.startswith("xene: invalid definition\n")
    assert f"{bad}:4: metadata.name: " in result.err
    assert f"{bad}: 7 problems; nothing applied" in result.err
    assert "no workflows applied yet" in xene(capsys, server, "get").out


def test_get_lists_workflows_and_shows_pipelines_triggers_and_modes(
    capsys: Capsys, server: ServerThread
) -> None:
    xene(capsys, server, "apply", EXAMPLES / "ci.yaml")
    listed = xene(capsys, server, "get")
    assert listed.lines[0].split() == ["NAME", "VERSION", "FORMAT", "APPLIED", "PIPELINES"]
    assert listed.lines[1].split()[:3] == ["example-ci", "1", "manifest"]
    shown = xene(capsys, server, "get", "example-ci")
    assert "workflow example-ci  version 1  (manifest)" in shown.out
    assert "ci        active  on-push (webhook)" in shown.out
    detail = json.loads(xene(capsys, server, "get", "example-ci", "--json").out)
    assert detail["pipelines"][0]["triggers"][0]["type"] == "webhook"
    assert detail["text"] == (EXAMPLES / "ci.yaml").read_text()


def test_delete_forgets_the_workflow_and_a_second_delete_is_exit_2(
    capsys: Capsys, server: ServerThread, greet: Path
) -> None:
    xene(capsys, server, "apply", greet)
    assert xene(capsys, server, "delete", "greet").out == "deleted greet (its runs stay)\n"
    gone = xene(capsys, server, "get", "greet")
    assert (gone.code, gone.err) == (2, "xene: no workflow 'greet'; `xene apply FILE` creates it\n")
    assert xene(capsys, server, "delete", "greet").code == 2


def test_a_paused_pipeline_refuses_triggers_until_resumed(
    capsys: Capsys, server: ServerThread, greet: Path
) -> None:
    xene(capsys, server, "apply", greet)
    assert xene(capsys, server, "pipeline", "pause", "greet", "hello").out == (
        "greet/hello: paused\n"
    )
    refused = xene(capsys, server, "trigger", "greet", "hello")
    assert refused.code == 1
    assert "is paused: resume it first" in refused.err
    xene(capsys, server, "pipeline", "resume", "greet", "hello")
    assert "active  " in xene(capsys, server, "get", "greet").out
    assert trigger(capsys, server, "greet", "hello")


# -- runs, show, logs, --follow ------------------------------------------------------------
def test_a_triggered_run_is_listed_shown_and_its_logs_read(
    capsys: Capsys, server: ServerThread, greet: Path
) -> None:
    xene(capsys, server, "apply", greet)
    run_id = trigger(capsys, server, "greet", "hello", "--input", '{"who": "ada"}')
    server.wait_run(run_id)
    runs = xene(capsys, server, "runs", "--workflow", "greet")
    assert runs.lines[1].split()[:4] == [run_id, "greet/hello", "✓", "Success"]
    shown = xene(capsys, server, "show", run_id[:10])
    assert shown.lines[0].startswith(f"run {run_id}  greet/hello  ✓ Success")
    assert '  input: {"who": "ada"}' in shown.lines
    assert any(line.startswith("✓ work  Success") for line in shown.lines)
    logs = xene(capsys, server, "logs", run_id)
    assert logs.lines == [f"== greet/hello run {run_id} task work step say ==", "one", "two"]
    as_json = json.loads(xene(capsys, server, "show", run_id, "--json").out)
    assert as_json["nodes"][0]["steps"][0]["exit_code"] == 0


def test_trigger_follow_streams_the_log_and_exits_by_the_final_state(
    capsys: Capsys, server: ServerThread, greet: Path
) -> None:
    xene(capsys, server, "apply", greet)
    ok = xene(capsys, server, "trigger", "greet", "hello", "--follow")
    assert ok.code == 0, ok.err
    run_id = ok.lines[0]
    assert ok.lines[1:] == ["work/say │ one", "work/say │ two"]
    assert f"run {run_id} ended: Success" in ok.err
    failed = xene(capsys, server, "trigger", "greet", "broken", "--follow")
    assert failed.code == 1
    assert failed.lines[1:] == ["work/fail │ trying"]
    assert "ended: Error" in failed.err


def test_logs_follow_of_a_running_run_prints_lines_as_they_come(
    capsys: Capsys, server: ServerThread, greet: Path
) -> None:
    xene(capsys, server, "apply", greet)
    run_id = trigger(capsys, server, "greet", "hello")
    server.wait_run(run_id, ("Running", "Success"))
    followed = xene(capsys, server, "logs", run_id, "--follow")
    assert followed.code == 0
    assert followed.lines == ["work/say │ one", "work/say │ two"]


def test_an_idempotency_key_names_the_first_run(
    capsys: Capsys, server: ServerThread, greet: Path
) -> None:
    xene(capsys, server, "apply", greet)
    first = trigger(capsys, server, "greet", "hello", "--idempotency-key", "order-7")
    again = xene(capsys, server, "trigger", "greet", "hello", "--idempotency-key", "order-7")
    assert again.out.strip() == first
    assert "started run" in again.err


# -- approvals and state machines ------------------------------------------------------------
def test_approve_over_the_server_and_the_server_completes_the_run(
    capsys: Capsys, server: ServerThread, tmp_path: Path
) -> None:
    gate = tmp_path / "gate.flow.yaml"
    gate.write_text(GATE)
    xene(capsys, server, "apply", gate)
    run_id = trigger(capsys, server, "deploy", "deploy", "--input", '{"amount": 3}')
    server.wait_run(run_id, ("Suspended",))
    listed = xene(capsys, server, "approvals")
    hook = listed.lines[1].split()[0]
    assert listed.lines[1].split()[1:3] == [run_id, "gate"]
    assert "amount=3" in listed.lines[1]
    decided = xene(capsys, server, "approve", hook, "--reason", "fine")
    assert decided.code == 0, decided.err
    assert f"the server continues run {run_id}" in decided.err
    assert server.wait_run(run_id)["state"] == "Success"
    assert "shipping 3" in xene(capsys, server, "logs", run_id).out
    twice = xene(capsys, server, "approve", hook)
    assert (twice.code, twice.err) == (1, f"xene: {hook} was decided already: approve\n")
    (kept,) = json.loads(xene(capsys, server, "approvals", "--all", "--json").out)
    assert (kept["decision"], kept["reason"]) == ("approve", "fine")
    assert xene(capsys, server, "approve", "no-such-hook").code == 2


def test_state_machines_are_defined_started_and_moved_by_the_server(
    capsys: Capsys, server: ServerThread
) -> None:
    defined = xene(capsys, server, "fsm", "define", EXAMPLES / "traffic-light.fsm.yaml")
    assert defined.out == "defined traffic-light: starts in green\n"
    assert xene(capsys, server, "fsm", "list").lines[1].split()[:2] == ["traffic-light", "green"]
    instance = xene(capsys, server, "fsm", "run", "traffic-light").out.strip()
    moved = xene(capsys, server, "fsm", "event", instance, "turn_yellow")
    assert moved.out == "green -> yellow\n"
    refused = xene(capsys, server, "fsm", "event", instance, "turn_green")
    assert refused.code == 1
    assert "available now: turn_red" in refused.err
    shown = xene(capsys, server, "fsm", "show", instance)
    assert "  state: yellow" in shown.lines
    assert "  available events: turn_red" in shown.lines
    assert xene(capsys, server, "fsm", "ps", "traffic-light").lines[1].split()[:2] == [
        instance,
        "yellow",
    ]


def test_what_only_a_local_store_does_is_refused_clearly(
    capsys: Capsys, server: ServerThread
) -> None:
    result = xene(capsys, server, "gc", "--older-than", "1d")
    assert result.code == 2
    assert "is not available against a server" in result.err


# -- choosing the server, and errors ----------------------------------------------------------
def test_an_unreachable_server_is_named_with_the_reason(capsys: Capsys) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    for command in (["runs"], ["get"], ["show", "01abc"], ["approve", "h"]):
        result = run_main(capsys, *command, "--server", url)
        assert result.code == 1
        assert result.err.startswith(f"xene: cannot reach the server at {url}: "), result.err


def test_commands_for_a_server_without_one_say_how_to_give_one(capsys: Capsys) -> None:
    result = run_main(capsys, "apply", "flow.yaml")
    assert result.code == 2
    assert "pass --server URL" in result.err
    assert "XENE_SERVER" in result.err
    assert "config.yaml" in result.err


def test_the_config_file_names_the_server_and_store_keeps_a_command_local(
    capsys: Capsys, server: ServerThread, greet: Path, xene_home: Path, tmp_path: Path
) -> None:
    (xene_home / "config.yaml").write_text(f"server: {server.url}/\n")
    assert run_main(capsys, "apply", greet).out == "created greet (version 1)\n"
    run_id = run_main(capsys, "trigger", "greet", "hello").out.strip()
    server.wait_run(run_id)
    assert run_id in run_main(capsys, "runs").out
    local = run_main(capsys, "runs", "--store", f"sqlite:///{tmp_path}/local.db")
    assert local.out.startswith("no runs yet")
    both = run_main(capsys, "runs", "--store", "memory://", "--server", server.url)
    assert (both.code, both.err) == (2, "xene: give either --server or --store, not both\n")


def test_xene_server_is_used_and_a_bad_url_is_refused(
    capsys: Capsys, server: ServerThread, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XENE_SERVER", server.url)
    assert run_main(capsys, "get").out.startswith("no workflows applied yet")
    monkeypatch.setenv("XENE_SERVER", "localhost:6060")
    result = run_main(capsys, "runs")
    assert result.code == 2
    assert "XENE_SERVER: 'localhost:6060' is not a server URL" in result.err


# -- tokens and auth --------------------------------------------------------------------------
def test_token_create_prints_only_the_token_and_makes_a_private_secret(
    capsys: Capsys, xene_home: Path
) -> None:
    result = run_main(capsys, "token", "create", "--role", "viewer", "--name", "bob")
    assert result.code == 0
    assert len(result.lines) == 1
    assert result.out.count(".") == 2  # a JWT: header.claims.signature
    assert "export XENE_TOKEN=" in result.err
    secret = xene_home / "jwt-secret"
    assert stat.S_IMODE(os.stat(secret).st_mode) == 0o600
    bad = run_main(capsys, "token", "create", "--role", "viewer", "--name", "b", "--expires", "x")
    assert bad.code == 2


def test_a_token_opens_a_server_with_auth_and_its_role_limits_it(
    capsys: Capsys,
    tmp_path: Path,
    greet: Path,
    xene_home: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    store = f"sqlite:///{tmp_path}/auth.db"  # the server's: it knows the tokens made on it
    made = ("token", "create", "--store", store, "--role")
    viewer = run_main(capsys, *made, "viewer", "--name", "bob").out.strip()
    manager = run_main(capsys, *made, "manager", "--name", "al").out.strip()
    with serving(store, auth=True) as server:
        assert httpx.get(f"{server.url}/api/v1/runs").status_code == 401
        bearer = {"Authorization": f"Bearer {viewer}"}
        assert httpx.get(f"{server.url}/api/v1/runs", headers=bearer).status_code == 200
        anonymous = xene(capsys, server, "runs")
        assert anonymous.code == 1
        assert "a bearer token is required" in anonymous.err
        assert "set XENE_TOKEN" in anonymous.err
        monkeypatch.setenv("XENE_TOKEN", viewer)
        assert xene(capsys, server, "runs").code == 0
        refused = xene(capsys, server, "apply", greet)
        assert refused.code == 1
        assert "this needs the manager role (or higher); bob is viewer" in refused.err
        assert "xene token create --role manager" in refused.err
        monkeypatch.setenv("XENE_TOKEN", manager)
        assert xene(capsys, server, "apply", greet).out == "created greet (version 1)\n"
        monkeypatch.delenv("XENE_TOKEN")
        (xene_home / "config.yaml").write_text(f"server: {server.url}\ntoken: {viewer}\n")
        assert run_main(capsys, "get").lines[1].startswith("greet ")


__all__ = ["no_server_from_the_environment", "server"]  # fixtures, used by name
