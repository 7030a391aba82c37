"""`xene secret` and the runs that use secrets, as a person runs them: real processes,
values from stdin and files, masked output, and a store file without the value in it."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.integration.cli_helpers import XENE, Result, run_process, write
from tests.integration.server_thread import ServerThread, serving

VALUE = "tok-5e3b9a7c1d"
DEPLOY = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: deploy}
spec:
  triggers: {go: {type: manual}}
  pipelines:
    main:
      trigger: go
      tasks:
        ship:
          secrets: [DEPLOY_KEY]
          steps:
            - {name: show, type: shell, cmd: 'echo "key is $DEPLOY_KEY (${#DEPLOY_KEY})"'}
"""


def xene(*args: str | Path, stdin: str | None = None, **env: str) -> Result:
    """`xene ARGS` as a child process, `stdin` as its standard input."""
    done = subprocess.run(
        [*XENE, *(str(a) for a in args)],
        input=stdin,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return Result(done.returncode, done.stdout, done.stderr)


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'xene.db'}"


@pytest.fixture
def deploy(tmp_path: Path) -> Path:
    return write(tmp_path, "deploy.yaml", DEPLOY)


def stored_bytes(tmp_path: Path) -> bytes:
    return b"".join(p.read_bytes() for p in tmp_path.glob("xene.db*"))


def test_a_secret_set_from_stdin_reaches_the_step_masked_and_never_the_store_file(
    tmp_path: Path, store: str, deploy: Path
) -> None:
    assert xene("secret", "set", "DEPLOY_KEY", "--store", store, stdin=VALUE + "\n").code == 0
    ran = run_process("run", deploy, "--store", store)
    assert ran.code == 0, ran.err
    assert f"ship/show │ key is *** ({len(VALUE)})" in ran.out
    assert VALUE not in ran.out + ran.err
    logs = run_process("logs", ran.lines[0].split()[1].rstrip(":"), "--store", store)
    assert "key is ***" in logs.out
    assert VALUE.encode() not in stored_bytes(tmp_path)


def test_json_output_of_a_run_masks_outputs(tmp_path: Path, store: str) -> None:
    xene("secret", "set", "DEPLOY_KEY", "--store", store, stdin=VALUE)
    leaky = DEPLOY.replace(
        """cmd: 'echo "key is $DEPLOY_KEY (${#DEPLOY_KEY})"'""",
        """cmd: 'echo "k=$DEPLOY_KEY" >> $XENE_OUTPUT'""",
    )
    ran = run_process("run", write(tmp_path, "leaky.yaml", leaky), "--store", store, "--json")
    assert ran.code == 0, ran.err
    (node,) = json.loads(ran.out)["nodes"]
    assert node["output"] == {"k": "***"}
    assert VALUE not in ran.out
    assert VALUE.encode() not in stored_bytes(tmp_path)


def test_a_value_on_the_command_line_is_refused_and_not_repeated(store: str) -> None:
    refused = xene("secret", "set", "DEPLOY_KEY", VALUE, "--store", store)
    assert refused.code == 2
    assert "never taken from the command line" in refused.err
    assert VALUE not in refused.err + refused.out
    also = xene("secret", "set", f"DEPLOY_KEY={VALUE}", "--store", store)
    assert also.code == 2
    assert VALUE not in also.err
    assert xene("secret", "list", "--store", store, "--json").out.strip() == "[]"


def test_a_value_from_a_file_drops_one_trailing_newline(
    tmp_path: Path, store: str, deploy: Path
) -> None:
    path = write(tmp_path, "key.txt", VALUE + "\n")
    assert xene("secret", "set", "DEPLOY_KEY", "--from-file", path, "--store", store).code == 0
    ran = run_process("run", deploy, "--store", store)
    assert f"key is *** ({len(VALUE)})" in ran.out


def test_list_shows_names_and_who_set_them_and_delete_forgets(store: str) -> None:
    xene("secret", "set", "DEPLOY_KEY", "--store", store, stdin=VALUE)
    listed = xene("secret", "list", "--store", store)
    assert listed.lines[0].split() == ["NAME", "SET", "BY", "SET", "AT"]
    assert listed.lines[1].startswith("DEPLOY_KEY")
    assert "@" in listed.lines[1]  # user@host
    assert VALUE not in listed.out
    assert xene("secret", "delete", "DEPLOY_KEY", "--store", store).code == 0
    gone = xene("secret", "delete", "DEPLOY_KEY", "--store", store)
    assert gone.code == 2
    assert 'unknown secret "DEPLOY_KEY"' in gone.err


def test_running_a_workflow_naming_an_unknown_secret_is_exit_2_located(
    store: str, deploy: Path
) -> None:
    ran = run_process("run", deploy, "--store", store)
    assert ran.code == 2
    assert f"{deploy}:11: spec.pipelines.main.tasks.ship.secrets[0]: unknown secret" in ran.err
    assert "xene secret set DEPLOY_KEY" in ran.err


def test_validate_checks_secrets_where_a_store_is_and_says_when_it_cannot(
    tmp_path: Path, store: str, deploy: Path
) -> None:
    xene("secret", "set", "OTHER", "--store", store, stdin=VALUE)
    checked = run_process("validate", deploy, "--store", store)
    assert checked.code == 2
    assert 'unknown secret "DEPLOY_KEY"' in checked.err
    missing = f"sqlite:///{tmp_path / 'nowhere.db'}"
    unchecked = run_process("validate", deploy, "--store", missing)
    assert unchecked.code == 0
    assert "were not checked (no store at" in unchecked.err
    assert not (tmp_path / "nowhere.db").exists()


def test_rotating_the_key_file_keeps_every_secret_readable(
    store: str, deploy: Path, xene_home: Path
) -> None:
    xene("secret", "set", "DEPLOY_KEY", "--store", store, stdin=VALUE)
    before = (xene_home / "secret.key").read_text()
    rotated = xene("secret", "rotate-key", "--store", store)
    assert rotated.code == 0, rotated.err
    assert "re-encrypted 1 secret with the new key" in rotated.err
    assert (xene_home / "secret.key").read_text() != before
    assert "key is ***" in run_process("run", deploy, "--store", store).out


def test_rotating_an_environment_key_prints_the_new_key_once(store: str, deploy: Path) -> None:
    from cryptography.fernet import Fernet

    old = {"XENE_SECRET_KEY": Fernet.generate_key().decode()}
    xene("secret", "set", "DEPLOY_KEY", "--store", store, stdin=VALUE, **old)
    rotated = xene("secret", "rotate-key", "--store", store, **old)
    assert rotated.code == 0
    assert "shown once" in rotated.err
    new_key = rotated.out.strip()
    assert len(new_key) == 44
    stale = run_process("run", deploy, "--store", store, env=old)
    assert stale.code == 1
    assert "cannot start: secret 'DEPLOY_KEY' was encrypted with key" in stale.out
    assert "Traceback" not in stale.err
    fresh = run_process("run", deploy, "--store", store, env={"XENE_SECRET_KEY": new_key})
    assert "key is ***" in fresh.out


def test_a_wrong_key_is_a_clear_error_not_a_traceback(store: str) -> None:
    xene("secret", "set", "DEPLOY_KEY", "--store", store, stdin=VALUE)
    bad = xene("secret", "rotate-key", "--store", store, XENE_SECRET_KEY="not-a-key")
    assert bad.code == 1
    assert "XENE_SECRET_KEY does not hold a valid key" in bad.err
    assert "Traceback" not in bad.err


@pytest.fixture
def server(tmp_path: Path) -> ServerThread:
    with serving(f"sqlite:///{tmp_path}/server.db") as running:
        yield running  # type: ignore[misc]


def test_secrets_are_set_listed_and_deleted_on_a_server(server: ServerThread) -> None:
    remote = ("--server", server.url)
    created = xene("secret", "set", "API_KEY", *remote, stdin=VALUE)
    assert created.code == 0, created.err
    assert f"created secret API_KEY in the server at {server.url}" in created.out
    listed = xene("secret", "list", *remote, "--json")
    assert [s["name"] for s in json.loads(listed.out)] == ["API_KEY"]
    assert VALUE not in listed.out
    rotate = xene("secret", "rotate-key", *remote)
    assert rotate.code == 2
    assert "run it on the server's machine" in rotate.err
    assert xene("secret", "delete", "API_KEY", *remote).code == 0
