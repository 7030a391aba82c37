"""Real processes for the fleet tests: `xene serve` and `xene agent` as children of the
test, talking HTTPS with certificates from `xene certs`, and a client for people's routes.

Nothing here sleeps as an assertion: `until` polls a condition until a deadline and
fails with what it waited for and what it saw last.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import httpx

XENE = [sys.executable, "-m", "xene.cli.main"]
FINAL = {"Success", "Error", "Cancelled"}
T = TypeVar("T")


def until(check: Callable[[], T | None], what: str, deadline_s: float = 20.0) -> T:
    """The first truthy value of `check()`, polled until `deadline_s` passes; else an
    AssertionError naming `what` and the last value seen."""
    end = time.monotonic() + deadline_s
    seen: T | None = None
    while time.monotonic() < end:
        seen = check()
        if seen:
            return seen
        time.sleep(0.05)
    raise AssertionError(f"waited {deadline_s:.0f}s for {what}; last seen: {seen!r}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_env(home: Path) -> dict[str, str]:
    """This environment without a server, token or store of the developer's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("XENE_")}
    return env | {"XENE_HOME": str(home), "PYTHONUNBUFFERED": "1"}


def gone(pid: int) -> bool:
    """The process has exited (a zombie not yet reaped counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return True
    return stat.rsplit(")", 1)[1].split()[0] in ("Z", "X")


def descendants(pid: int) -> list[int]:
    """The processes below `pid`, from /proc (its children, theirs, ...)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


class Child:
    """A child process whose output goes to a log file (read it on failure)."""

    def __init__(self, log: Path, env: dict[str, str]) -> None:
        self.log, self.env = log, env
        self.proc: subprocess.Popen[bytes] | None = None

    def spawn(self, argv: Sequence[str]) -> None:
        with open(self.log, "ab") as out:  # the child keeps its own copy of the file
            self.proc = subprocess.Popen(
                [*XENE, *argv],
                stdout=out,
                stderr=out,
                env=self.env,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # a signal meant for the tests does not reach it
            )

    @property
    def pid(self) -> int:
        assert self.proc is not None, "not started"
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def signal(self, sig: signal.Signals) -> None:
        assert self.proc is not None, "not started"
        self.proc.send_signal(sig)

    def freeze(self) -> None:
        """SIGSTOP: it stops at once, mid-request perhaps; its steps go on."""
        self.signal(signal.SIGSTOP)

    def thaw(self) -> None:
        self.signal(signal.SIGCONT)

    def kill(self) -> None:
        """SIGKILL, as a machine that dies: it and every process it started (its steps)
        are stopped first, so none can start another, then killed; nothing is said or
        cleaned up."""
        if self.alive():
            tree = [self.pid, *descendants(self.pid)]
            for pid in tree:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGSTOP)
            for pid in [self.pid, *descendants(self.pid)]:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
        self.wait(10)

    def wait(self, timeout: float) -> int:
        assert self.proc is not None, "not started"
        return self.proc.wait(timeout=timeout)

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM (SIGCONT first, in case it was stopped), SIGKILL if it lingers."""
        if not self.alive():
            return
        self.signal(signal.SIGCONT)
        self.signal(signal.SIGTERM)
        try:
            self.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()


class Pki:
    """A XENE_HOME whose certs folder `xene certs` filled: the CA, a server certificate
    for 127.0.0.1, and one per agent name."""

    def __init__(self, home: Path) -> None:
        self.home = home
        self.dir = home / "certs"

    def path(self, name: str) -> str:
        return str(self.dir / name)

    def context(self) -> ssl.SSLContext:
        """What people's clients verify the servers with."""
        return ssl.create_default_context(cafile=self.path("ca.pem"))


class Server(Child):
    """`xene serve` over TLS with the fleet's CA, no built-in agent, on a free port."""

    def __init__(self, pki: Pki, store: str, *options: str, lease_s: float = 3.0) -> None:
        self.port = free_port()
        self.url = f"https://127.0.0.1:{self.port}"
        super().__init__(pki.home / f"server-{self.port}.log", clean_env(pki.home))
        self.pki, self.store = pki, store
        self.argv = [
            "serve", "--port", str(self.port), "--store", store,
            "--tls-cert", pki.path("server.pem"), "--tls-key", pki.path("server.key"),
            "--client-ca", pki.path("ca.pem"), "--lease", str(lease_s),
            "--rate-limit", "0", "--grace", "1", *options,
        ]  # fmt: skip
        if "--agent" not in options:
            self.argv.append("--no-agent")
        else:
            self.argv.remove("--agent")

    def start(self) -> Server:
        self.spawn(self.argv)
        until(self._ready, f"the server on port {self.port} to be ready", 30)
        return self

    def _ready(self) -> bool:
        if not self.alive():
            raise AssertionError(f"xene serve exited:\n{self.output()[-3000:]}")
        try:
            answer = httpx.get(self.url + "/ready", verify=self.pki.context(), timeout=2)
        except httpx.TransportError:
            return False
        return answer.status_code == 200

    def restart(self) -> Server:
        """Stopped (SIGTERM) and started again on the same port and store."""
        self.stop()
        return self.start()


class AgentProcess(Child):
    """`xene agent` with its certificate from `xene certs agent NAME`."""

    def __init__(
        self,
        pki: Pki,
        name: str,
        servers: Sequence[Server],
        *,
        labels: Sequence[str] = (),
        capacity: int = 1,
        extra: Sequence[str] = (),
    ) -> None:
        super().__init__(pki.home / f"agent-{name}.log", clean_env(pki.home))
        self.name = name
        self.argv = ["agent", "--name", name, "--capacity", str(capacity), "--grace", "1"]
        for server in servers:
            self.argv += ["--server", server.url]
        if labels:
            self.argv += ["--labels", ",".join(labels)]
        self.argv += list(extra) or [
            "--cert", pki.path(f"agent-{name}.pem"), "--key", pki.path(f"agent-{name}.key"),
            "--ca", pki.path("ca.pem"),
        ]  # fmt: skip

    def start(self) -> AgentProcess:
        self.spawn(self.argv)
        return self


class Api:
    """People's routes of a server, with a bearer token."""

    def __init__(self, server: Server, token: str) -> None:
        self.server = server
        self.client = httpx.Client(
            base_url=server.url + "/api/v1",
            verify=server.pki.context(),
            headers={"authorization": f"Bearer {token}"},
            timeout=10,
        )

    def close(self) -> None:
        self.client.close()

    def ok(self, method: str, path: str, **kwargs: Any) -> Any:
        answer = self.client.request(method, path, **kwargs)
        assert answer.status_code < 300, f"{method} {path}: {answer.status_code} {answer.text}"
        return answer.json() if answer.content else None

    def apply(self, text: str, filename: str = "fleet.yaml") -> None:
        headers = {"Content-Type": "application/yaml"}
        self.ok("POST", "/workflows", params={"filename": filename}, content=text, headers=headers)

    def trigger(self, workflow: str, pipeline: str, data: Any = None) -> str:
        path = f"/workflows/{workflow}/pipelines/{pipeline}/runs"
        return str(self.ok("POST", path, json=data or {})["run_id"])

    def run(self, run_id: str) -> dict[str, Any]:
        return dict(self.ok("GET", f"/runs/{run_id}"))

    def runs(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        return [self.run(r) for r in run_ids]

    def wait_final(self, run_id: str, deadline_s: float = 30) -> dict[str, Any]:
        def final() -> dict[str, Any] | None:
            run = self.run(run_id)
            return run if run["state"] in FINAL else None

        return until(final, f"run {run_id} to end", deadline_s)

    def agents(self) -> dict[str, dict[str, Any]]:
        return {a["name"]: a for a in self.ok("GET", "/agents")["agents"]}

    def wait_online(self, *names: str, deadline_s: float = 20) -> None:
        def online() -> bool:
            known = self.agents()
            return all(known.get(n, {}).get("state") == "online" for n in names)

        until(online, f"agents {', '.join(names)} online", deadline_s)

    def metric(self, name: str) -> float:
        """A metric's value (summed over its labels) from the server's /metrics."""
        answer = self.client.get(self.server.url + "/metrics")
        assert answer.status_code == 200, answer.text
        samples = [
            float(line.rsplit(" ", 1)[1])
            for line in answer.text.splitlines()
            if line.startswith(name) and line[len(name) : len(name) + 1] in ("", " ", "{")
        ]
        return sum(samples)

    def log_lines(self, run_id: str) -> list[str]:
        """Every line of the run's output, in the order the store keeps them."""
        lines: list[str] = []
        after = 0
        while True:
            page = self.ok("GET", f"/runs/{run_id}/logs", params={"after": after, "limit": 5000})
            for chunk in page["chunks"]:
                lines += chunk["lines"]
            if not page["chunks"]:
                return lines
            after = page["next_after"]


def node(run: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [n for n in run["nodes"] if n["node"] == name]
    return dict(found)


def outcome(run: dict[str, Any]) -> list[tuple[str, str, Any]]:
    """What a run produced, node by node: what two runs of one pipeline must agree on."""
    return sorted((n["node"], n["state"], n["output"]) for n in run["nodes"])
