"""`xene serve` as a real process: webhooks, cron, files, live logs, a crash and a restart.

Each test starts its own server on a free port with its own SQLite store, talks to it
over HTTP, and waits with bounded deadlines (never a fixed sleep as an assertion).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.slow

XENE = [sys.executable, "-m", "xene.cli.main"]
FINAL = {"Success", "Error", "Cancelled"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(
        self, work: Path, *extra: str, env: dict[str, str] | None = None, store: str = ""
    ) -> None:
        self.work = work
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.args = [
            *XENE, "serve", "--no-auth", "--port", str(self.port),
            "--store", store or f"sqlite:///{work / 'runs.db'}", "--grace", "2", *extra,
        ]  # fmt: skip
        self.env = {**os.environ, **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None
        self.client = httpx.Client(base_url=self.url, timeout=10)

    def start(self) -> Server:
        with open(self.work / "server.log", "ab") as log:  # the child keeps its own copy
            self.proc = subprocess.Popen(self.args, stdout=log, stderr=log, env=self.env)
        until(self._ready, "the server never became ready", 30)
        return self

    def _ready(self) -> bool:
        assert self.proc is not None
        if self.proc.poll() is not None:
            raise AssertionError((self.work / "server.log").read_text()[-3000:])
        try:
            return self.client.get("/ready").status_code == 200
        except httpx.TransportError:
            return False

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        self.client.close()
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def apply(self, text: str, filename: str = "workflow.yaml") -> None:
        response = self.client.post(
            "/api/v1/workflows",
            params={"filename": filename},
            content=text.replace("WORK", str(self.work)),
            headers={"Content-Type": "application/yaml"},
        )
        assert response.status_code in (200, 201), response.text

    def runs(self) -> list[dict[str, Any]]:
        response = self.client.get("/api/v1/runs")
        assert response.status_code == 200, response.text
        return list(response.json()["runs"])

    def wait_final(self, run_id: str, deadline: float = 60) -> dict[str, Any]:
        found: dict[str, Any] = {}

        def final() -> bool:
            found.update(self.client.get(f"/api/v1/runs/{run_id}").json())
            return found.get("state") in FINAL

        until(final, f"run {run_id} never ended", deadline)
        return found


def until(check: Callable[[], bool], message: str, deadline: float = 30) -> None:
    end = time.monotonic() + deadline
    while not check():
        if time.monotonic() > end:
            raise AssertionError(message)
        time.sleep(0.05)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Callable[..., Server]]:
    started: list[Server] = []

    def make(*extra: str, env: dict[str, str] | None = None, store: str = "") -> Server:
        made = Server(tmp_path, *extra, env=env, store=store).start()
        started.append(made)
        return made

    yield make
    for each in started:
        each.stop()


HOOKED = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: hooked}
spec:
  triggers:
    push: {type: webhook, secret: s3cret}
  pipelines:
    build:
      trigger: push
      tasks:
        t: {steps: [{name: s, type: shell, cmd: "echo built >> WORK/effects"}]}
"""


def test_a_signed_webhook_starts_one_run_and_a_duplicate_delivery_none(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    srv = server()
    srv.apply(HOOKED)
    body = json.dumps({"ref": "refs/heads/main"}).encode()
    signature = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": signature,
        "X-GitHub-Delivery": "delivery-1",
    }
    first = srv.client.post("/api/v1/hooks/hooked/push", content=body, headers=headers)
    again = srv.client.post("/api/v1/hooks/hooked/push", content=body, headers=headers)
    assert first.status_code == 202, first.text
    assert again.json()["runs"] == first.json()["runs"]
    (run_id,) = first.json()["runs"]
    assert srv.wait_final(run_id)["state"] == "Success"
    assert (tmp_path / "effects").read_text() == "built\n"
    assert len(srv.runs()) == 1
    bad = dict(headers, **{"X-Hub-Signature-256": "sha256=" + "0" * 64})
    refused = srv.client.post("/api/v1/hooks/hooked/push", content=body, headers=bad)
    assert refused.status_code == 401


CRON = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: ticking}
spec:
  triggers:
    minutely: {type: cron, cronConfig: "* * * * *"}
  pipelines:
    tick:
      trigger: minutely
      tasks:
        t: {steps: [{name: s, type: shell, cmd: "echo tick >> WORK/ticks"}]}
"""


def test_a_cron_trigger_fires_on_schedule_never_at_registration(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    srv = server(env={"XENE_CLOCK_WARP": "300"})  # a minute passes in 0.2 s
    srv.apply(CRON)
    ticks = tmp_path / "ticks"
    until(lambda: ticks.exists() and len(ticks.read_text().split()) >= 2, "no cron fires", 30)
    runs = srv.runs()
    assert len(runs) >= 2
    assert all(run["pipeline"] == "tick" for run in runs)


FILES = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: watching}
spec:
  triggers:
    drop: {type: filesystem, path: WORK/inbox, events: [created]}
  pipelines:
    ingest:
      trigger: drop
      tasks:
        t: {steps: [{name: s, type: shell, cmd: "echo \\"$XENE_INPUT\\" >> WORK/seen"}]}
"""


def test_a_filesystem_trigger_fires_when_a_file_appears(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    (tmp_path / "inbox").mkdir()
    srv = server("--fs-root", str(tmp_path))
    srv.apply(FILES)
    seen = tmp_path / "seen"

    def fired() -> bool:
        (tmp_path / "inbox" / f"order-{time.monotonic_ns()}.json").write_text("{}")
        return seen.exists() and "order-" in seen.read_text()

    until(fired, "the filesystem trigger never fired", 30)
    assert '"event": "created"' in seen.read_text()


SLOW = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: slow}
spec:
  pipelines:
    p:
      tasks:
        a: {steps: [{name: s, type: shell, cmd: "echo a >> WORK/effects"}]}
        b:
          dependencies: [a]
          steps:
            - name: s
              type: shell
              cmd: >-
                echo b >> WORK/effects; echo line-one; echo $$ > WORK/blocked.pid;
                touch WORK/reached; while [ ! -f WORK/go ]; do sleep 0.05; done;
                echo line-two
        c: {dependencies: [b], steps: [{name: s, type: shell, cmd: "echo c >> WORK/effects"}]}
"""


def test_logs_follow_streams_live_lines(server: Callable[..., Server], tmp_path: Path) -> None:
    srv = server()
    srv.apply(SLOW)
    run_id = srv.client.post("/api/v1/workflows/slow/pipelines/p/runs", json={}).json()["run_id"]
    follow = subprocess.Popen(
        [*XENE, "logs", run_id, "--follow", "--server", srv.url],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    until((tmp_path / "reached").exists, "step b never started", 30)
    assert follow.stdout is not None
    first = follow.stdout.readline()
    while "line-one" not in first:
        first = follow.stdout.readline()
    assert follow.poll() is None  # still following: the run has not ended
    (tmp_path / "go").touch()
    rest, _ = follow.communicate(timeout=60)
    assert follow.returncode == 0
    assert "line-two" in rest


def test_a_server_killed_mid_run_completes_it_after_a_restart(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    srv = server()
    srv.apply(SLOW)
    run_id = srv.client.post("/api/v1/workflows/slow/pipelines/p/runs", json={}).json()["run_id"]
    until((tmp_path / "reached").exists, "step b never started", 30)
    srv.kill()
    # The killed server's step is an orphan now: end it, as a reboot would have.
    os.killpg(int((tmp_path / "blocked.pid").read_text()), signal.SIGKILL)
    (tmp_path / "go").touch()
    again = server()
    assert again.wait_final(run_id)["state"] == "Success"
    assert (tmp_path / "effects").read_text().split() == ["a", "b", "b", "c"]


GRACEFUL = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: graceful}
spec:
  pipelines:
    p:
      tasks:
        a:
          steps:
            - name: s
              type: shell
              cmd: >-
                touch WORK/a-started; while [ ! -f WORK/release ]; do sleep 0.05; done;
                echo a >> WORK/effects
        b: {dependencies: [a], steps: [{name: s, type: shell, cmd: "echo b >> WORK/effects"}]}
"""


def test_sigterm_lets_the_running_step_finish_and_leaves_the_run_to_resume(
    server: Callable[..., Server], tmp_path: Path
) -> None:
    srv = server()
    srv.apply(GRACEFUL)
    path = "/api/v1/workflows/graceful/pipelines/p/runs"
    run_id = srv.client.post(path, json={}).json()["run_id"]
    until((tmp_path / "a-started").exists, "step a never started", 30)
    assert srv.proc is not None
    srv.proc.send_signal(signal.SIGTERM)
    log = tmp_path / "server.log"
    until(lambda: "stopping: no new work" in log.read_text(), "no sign of stopping", 30)
    (tmp_path / "release").touch()  # step a finishes within the grace period
    srv.proc.wait(timeout=30)
    assert (tmp_path / "effects").read_text() == "a\n"  # b was not started
    again = server()
    assert again.wait_final(run_id)["state"] == "Success"
    assert (tmp_path / "effects").read_text().split() == ["a", "b"]


def test_two_servers_on_one_postgresql_fire_each_cron_instant_once(
    server: Callable[..., Server], tmp_path: Path, pg_database: str
) -> None:
    env = {"XENE_CLOCK_WARP": "120", "XENE_CLOCK_WARP_FROM": str(time.time())}
    first = server(env=env, store=pg_database)
    second = server(env=env, store=pg_database)
    first.apply(CRON)  # the second server finds it in the store within seconds
    ticks = tmp_path / "ticks"
    until(lambda: ticks.exists() and len(ticks.read_text().split()) >= 20, "few fires", 60)
    runs = [second.client.get(f"/api/v1/runs/{r['id']}").json() for r in second.runs()]
    instants = [run["input"]["scheduled_at"] for run in runs]
    assert len(instants) == len(set(instants))
