"""`xene agent` with the certificate `xene certs` issued it, against a server with mutual
TLS and auth: it is known by its certificate's name, executes a queued run to its end,
and keeps its spool under $XENE_HOME/agent/NAME."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.integration.api.conftest import JWT_SECRET, bearer
from tests.integration.server_thread import FINAL, ServerThread, serving
from xene import certs
from xene.store import open_store

NOW = dt.datetime.now(dt.UTC)
DEADLINE_S = 30.0
WORKFLOW = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: tls}
spec:
  triggers:
    go: {type: manual}
  pipelines:
    main:
      trigger: go
      tasks:
        work:
          steps:
            - {name: s0, type: shell, cmd: 'echo "over mutual TLS"'}
"""


@pytest.fixture
def pki(tmp_path: Path) -> Path:
    ca = certs.new_ca("Xene CA", NOW)
    issued = {
        "ca": ca,
        "server": certs.issue(ca, "server", "localhost", NOW, hosts=["127.0.0.1"]),
        "build-01": certs.issue(ca, "agent", "build-01", NOW),
    }
    for stem, pair in issued.items():
        (tmp_path / f"{stem}.pem").write_bytes(pair.cert_pem)
        (tmp_path / f"{stem}.key").write_bytes(pair.key_pem)
    return tmp_path


@pytest.fixture
def server(pki: Path, tmp_path: Path) -> Iterator[ServerThread]:
    config = {
        "auth": True, "jwt_secret": JWT_SECRET, "agent": False, "lease_s": 3.0,
        "tls_cert": str(pki / "server.pem"), "tls_key": str(pki / "server.key"),
        "client_ca": str(pki / "ca.pem"),
    }  # fmt: skip
    with serving(f"sqlite:///{tmp_path}/xene.db", **config) as server:
        yield server


async def admin(server: ServerThread) -> dict[str, str]:
    store = await open_store(server.store_url)
    try:
        return await bearer(store, "admin")
    finally:
        await store.close()


async def test_an_agent_known_by_its_certificate_executes_a_run(
    server: ServerThread, pki: Path, tmp_path: Path
) -> None:
    home = tmp_path / "home"
    command = [
        sys.executable, "-m", "xene.cli.main", "agent", "--server", server.url,
        "--cert", str(pki / "build-01.pem"), "--key", str(pki / "build-01.key"),
        "--ca", str(pki / "ca.pem"), "--labels", "linux",
    ]  # fmt: skip
    # No Docker engine for it: it offers its labels as given (else `docker` too).
    env = {**os.environ, "XENE_HOME": str(home), "DOCKER_HOST": "unix:///nonexistent.sock"}
    env.pop("XENE_TOKEN", None)
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    try:
        context = ssl.create_default_context(cafile=pki / "ca.pem")
        headers = await admin(server)
        async with httpx.AsyncClient(base_url=server.url, verify=context, headers=headers) as api:
            applied = await api.post(
                "/api/v1/workflows", content=WORKFLOW, headers={"content-type": "application/yaml"}
            )
            assert applied.status_code in (200, 201), applied.text
            queued = await api.post("/api/v1/workflows/tls/pipelines/main/runs")
            run_id = queued.json()["run_id"]
            run = await finished(api, run_id)
            assert run["state"] == "Success", run
            logs = (await api.get(f"/api/v1/runs/{run_id}/logs")).json()
            assert [line for c in logs["chunks"] for line in c["lines"]] == ["over mutual TLS"]
            agents = (await api.get("/api/v1/agents")).json()["agents"]
            assert [(a["name"], a["labels"]) for a in agents] == [("build-01", ["linux"])]
        assert (home / "agent" / "build-01" / "spool").is_dir()
        process.send_signal(signal.SIGTERM)
        _, err = await asyncio.to_thread(process.communicate, None, DEADLINE_S)
        assert process.returncode == 0, err
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()


async def finished(api: httpx.AsyncClient, run_id: str) -> dict[str, object]:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        run: dict[str, object] = (await api.get(f"/api/v1/runs/{run_id}")).json()
        if run.get("state") in FINAL:
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run.get('state')}"
        await asyncio.sleep(0.05)
