"""`xene token create|list|revoke`, on the server's machine (a local store and the
signing secret) and against a server (an admin token); and `xene get` hiding secrets."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.cli_helpers import Result, run_main
from tests.integration.server_thread import serving

Capsys = pytest.CaptureFixture[str]
DAY = 86400.0


@pytest.fixture
def store(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/xene.db"


def token(capsys: Capsys, store: str, *args: str) -> Result:
    return run_main(capsys, "token", *args, "--store", store)


def listed(capsys: Capsys, store: str) -> list[dict[str, Any]]:
    result = token(capsys, store, "list", "--json")
    assert result.code == 0, result.err
    records: list[dict[str, Any]] = json.loads(result.out)
    return records


def create(capsys: Capsys, store: str, role: str, *args: str) -> Result:
    return token(capsys, store, "create", "--role", role, "--name", f"n-{role}", *args)


def test_a_token_expires_after_30_days_by_default(capsys: Capsys, store: str) -> None:
    before = time.time()
    made = create(capsys, store, "viewer")
    assert made.code == 0, made.err
    assert made.out.count(".") == 2  # only the JWT on stdout
    assert "valid until" in made.err
    (record,) = listed(capsys, store)
    assert record["expires_at"] - record["created_at"] == pytest.approx(30 * DAY, abs=1)
    assert record["created_at"] >= before - 1
    assert (record["state"], record["created_by"][:6]) == ("active", "local:")


@pytest.mark.parametrize(("expires", "seconds"), [("7d", 7 * DAY), ("12h", 12 * 3600.0)])
def test_expires_sets_the_lifetime(
    capsys: Capsys, store: str, expires: str, seconds: float
) -> None:
    assert create(capsys, store, "manager", "--expires", expires).code == 0
    (record,) = listed(capsys, store)
    assert record["expires_at"] - record["created_at"] == pytest.approx(seconds, abs=1)


def test_never_is_said_loudly_and_only_for_admins(capsys: Capsys, store: str) -> None:
    refused = create(capsys, store, "viewer", "--expires", "never")
    assert refused.code == 2
    assert "never is for admin tokens only" in refused.err
    forever = create(capsys, store, "admin", "--expires", "never")
    assert forever.code == 0
    assert "WARNING: this admin token NEVER expires" in forever.err
    assert [r["expires_at"] for r in listed(capsys, store)] == [None]


def test_a_bad_expires_is_exit_2_and_makes_nothing(capsys: Capsys, store: str) -> None:
    bad = create(capsys, store, "viewer", "--expires", "soon")
    assert bad.code == 2
    assert "--expires soon" in bad.err
    assert listed(capsys, store) == []


def test_list_shows_a_table_without_the_tokens(capsys: Capsys, store: str) -> None:
    assert token(capsys, store, "list").out.startswith("no tokens yet")
    secret = create(capsys, store, "viewer").out.strip()
    table = token(capsys, store, "list")
    header, row = table.lines
    assert header.split()[:5] == ["ID", "NAME", "ROLE", "STATE", "CREATED"]
    assert row.split()[1:4] == ["n-viewer", "viewer", "active"]
    assert secret not in table.out


def test_revoke_takes_an_id_prefix_and_the_list_says_revoked(capsys: Capsys, store: str) -> None:
    create(capsys, store, "viewer")
    (record,) = listed(capsys, store)
    revoked = token(capsys, store, "revoke", record["id"][:12].upper())
    assert revoked.code == 0, revoked.err
    assert revoked.out == f"revoked token {record['id']} (n-viewer, viewer)\n"
    assert [r["state"] for r in listed(capsys, store)] == ["revoked"]
    unknown = token(capsys, store, "revoke", "zzzz")
    assert unknown.code == 2
    assert "no token 'zzzz'" in unknown.err


def test_a_token_revoked_here_is_refused_by_the_server_on_the_store(
    capsys: Capsys, store: str
) -> None:
    """(A server that saw the token before re-reads it within `auth.CHECK_S`: the API
    tests show that with an injected clock.)"""
    viewer, manager = (create(capsys, store, role).out.strip() for role in ("viewer", "manager"))
    revoked_id = listed(capsys, store)[0]["id"]
    assert token(capsys, store, "revoke", revoked_id).code == 0
    with serving(store, auth=True) as server:
        runs = f"{server.url}/api/v1/runs"
        refused = httpx.get(runs, headers={"Authorization": f"Bearer {viewer}"})
        accepted = httpx.get(runs, headers={"Authorization": f"Bearer {manager}"})
    assert (refused.status_code, accepted.status_code) == (401, 200)
    assert "was revoked" in refused.json()["error"]


def test_against_a_server_an_admin_creates_lists_and_revokes(
    capsys: Capsys, store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = create(capsys, store, "admin").out.strip()
    with serving(store, auth=True) as server:
        monkeypatch.setenv("XENE_TOKEN", admin)
        made = run_main(
            capsys, "token", "create", "--role", "viewer", "--name", "grafana",
            "--expires", "12h", "--server", server.url,
        )  # fmt: skip
        assert made.code == 0, made.err
        viewer = made.out.strip()
        listing = run_main(capsys, "token", "list", "--json", "--server", server.url)
        records = json.loads(listing.out)
        assert [r["name"] for r in records] == ["n-admin", "grafana"]
        assert records[1]["created_by"] == "n-admin"  # the admin whose token made it
        grafana = records[1]["id"]
        revoked = run_main(capsys, "token", "revoke", grafana, "--server", server.url)
        assert revoked.code == 0, revoked.err
        bearer = {"Authorization": f"Bearer {viewer}"}
        assert httpx.get(f"{server.url}/api/v1/runs", headers=bearer).status_code == 401


def test_against_a_server_a_non_admin_is_refused_with_a_way_out(
    capsys: Capsys, store: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = create(capsys, store, "manager").out.strip()
    with serving(store, auth=True) as server:
        monkeypatch.setenv("XENE_TOKEN", manager)
        refused = run_main(capsys, "token", "list", "--server", server.url)
    assert refused.code == 1
    assert "this needs the admin role" in refused.err
    assert "xene token list --store" in refused.err


def test_a_secret_file_does_not_go_with_a_server(capsys: Capsys) -> None:
    result = run_main(
        capsys, "token", "create", "--role", "viewer", "--name", "v",
        "--server", "http://127.0.0.1:9", "--secret-file", "/tmp/s",
    )  # fmt: skip
    assert result.code == 2
    assert "--secret-file is for tokens signed on the server's machine" in result.err


HOOK = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: ci}
spec:
  triggers: {push: {type: webhook, secret: gh-s3cr3t-value}}
  pipelines:
    build: {trigger: push, tasks: {t: {steps: [{name: s, type: shell, cmd: "true"}]}}}
"""


def test_xene_get_shows_no_secret(capsys: Capsys, store: str, tmp_path: Path) -> None:
    path = tmp_path / "ci.yaml"
    path.write_text(HOOK)
    with serving(store) as server:
        assert run_main(capsys, "apply", path, "--server", server.url).code == 0
        shown = run_main(capsys, "get", "ci", "--server", server.url)
        as_json = run_main(capsys, "get", "ci", "--json", "--server", server.url)
    assert shown.code == as_json.code == 0
    assert "gh-s3cr3t-value" not in shown.out + as_json.out
    assert 'secret: "***"' in json.loads(as_json.out)["text"]
