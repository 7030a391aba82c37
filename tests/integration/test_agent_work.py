"""A remote agent's work against a real server: it claims a queued run and executes it
(logs in order), its commits wait on disk while the server is away and reach it when it
is back, it drains on SIGTERM (steps within the grace finish; the rest is released for
another agent at once), and cancellations and approvals reach it."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.server_thread import FINAL, ServerThread, serving
from xene.agent.agent import Agent
from xene.agent.settings import AgentSettings

DEADLINE_S = 30.0
LEASE_S = 3.0


@pytest.fixture
def db(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/xene.db"


@pytest.fixture
def server(db: str) -> Iterator[ServerThread]:
    with serving(db, lease_s=LEASE_S, agent=False) as server:
        yield server


def workflow(name: str, *commands: str) -> str:
    """A manifest with one pipeline `main` of one task `work` running `commands`."""
    steps = "\n".join(
        f"            - {{name: s{i}, type: shell, cmd: {cmd!r}}}" for i, cmd in enumerate(commands)
    )
    return f"""\
kind: Workflow
apiVersion: v1alpha1
metadata: {{name: {name}}}
spec:
  triggers:
    go: {{type: manual}}
  pipelines:
    main:
      trigger: go
      tasks:
        work:
          steps:
{steps}
"""


@contextlib.asynccontextmanager
async def client(server: ServerThread) -> AsyncIterator[httpx.AsyncClient]:
    # No kept-alive connections: a server restarted on the same port can bind it at once.
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=server.url, limits=limits) as api:
        yield api


async def queue(api: httpx.AsyncClient, text: str, pipeline: str = "main") -> str:
    """Apply the workflow and queue a run of its pipeline; the run's id."""
    applied = await api.post(
        "/api/v1/workflows", content=text, headers={"content-type": "application/yaml"}
    )
    assert applied.status_code in (200, 201), applied.text
    name = applied.json()["name"]
    queued = await api.post(f"/api/v1/workflows/{name}/pipelines/{pipeline}/runs")
    assert queued.status_code == 201, queued.text
    run_id: str = queued.json()["run_id"]
    return run_id


async def run_in(
    api: httpx.AsyncClient, run_id: str, states: tuple[str, ...] = FINAL
) -> dict[str, Any]:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        run: dict[str, Any] = (await api.get(f"/api/v1/runs/{run_id}")).json()
        if run.get("state") in states:
            return run
        assert time.monotonic() < deadline, f"run {run_id} still {run.get('state')}: {run}"
        await asyncio.sleep(0.05)


async def lines_of(api: httpx.AsyncClient, run_id: str) -> list[str]:
    page = (await api.get(f"/api/v1/runs/{run_id}/logs", params={"limit": 5000})).json()
    return [line for chunk in page["chunks"] for line in chunk["lines"]]


async def until(condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while not condition():
        assert time.monotonic() < deadline, f"never: {what}"
        await asyncio.sleep(0.02)


def settings(
    server: ServerThread, tmp_path: Path, name: str = "laptop", **more: Any
) -> AgentSettings:
    spool = str(tmp_path / name / "spool")
    return AgentSettings(servers=(server.url,), name=name, spool=spool, **more)


@contextlib.asynccontextmanager
async def agent_running(agent_settings: AgentSettings) -> AsyncIterator[Agent]:
    """An agent in this process, registered; drained (stopped) on the way out."""
    agent, stop, leave = Agent(agent_settings), asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(agent.run(stop, leave))
    await until(lambda: agent.heartbeats.beats >= 1 or task.done(), "a heartbeat")
    try:
        yield agent
    except BaseException:
        leave.set()  # a failed test need not wait for a server to take the commits
        raise
    finally:
        stop.set()
        await task


def restarted(old: ServerThread) -> ServerThread:
    """A new server over the old one's store, on the old one's port (its address)."""
    new = ServerThread(old.store_url, old.config)
    new.sock.close()
    new.sock = socket.socket()
    new.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    port = int(old.url.rsplit(":", 1)[1])
    deadline = time.monotonic() + DEADLINE_S
    while True:
        try:  # the port is free once the agent has closed its connections to the old one
            new.sock.bind(("127.0.0.1", port))
            break
        except OSError:
            assert time.monotonic() < deadline, f"port {port} never came free"
            time.sleep(0.05)
    new.url = old.url
    return new.start()


async def test_a_queued_run_is_executed_by_the_agent_with_its_logs_in_order(
    server: ServerThread, tmp_path: Path
) -> None:
    async with client(server) as api:
        run_id = await queue(api, workflow("lines", "seq 1 3000", "echo last"))
        async with agent_running(settings(server, tmp_path)) as agent:
            run = await run_in(api, run_id)
            assert agent.work is not None
            assert agent.work.claimed == 1
        assert run["state"] == "Success", run
        assert await lines_of(api, run_id) == [str(i) for i in range(1, 3001)] + ["last"]
        assert not list((tmp_path / "laptop" / "spool").iterdir())  # every commit sent


async def test_commits_wait_on_disk_while_the_server_is_away_and_reach_it_after(
    db: str, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    script = f"echo before; while [ ! -f {go} ]; do sleep 0.02; done; seq 1 50"
    first = reusable(db)
    second: ServerThread | None = None
    try:
        async with client(first) as api:
            run_id = await queue(api, workflow("blip", script, "echo after"))
            async with agent_running(settings(first, tmp_path)) as agent:
                await until_lines(api, run_id, ["before"])
                await asyncio.to_thread(first.stop)
                go.touch()
                assert agent.work is not None
                held = agent.work.held[run_id]
                await until(lambda: not held.executing, "the run ended on the agent")
                assert held.outbox.unsent > 0  # its last commits wait, on disk
                assert held.outbox.path.exists()
                second = await asyncio.to_thread(restarted, first)
                run = await run_in(api, run_id)
                assert run["state"] == "Success", run
                assert await lines_of(api, run_id) == ["before"] + [
                    str(i) for i in range(1, 51)
                ] + ["after"]
    finally:
        if second is not None:
            second.stop()


def reusable(db: str) -> ServerThread:
    """A started server whose port another (`restarted`) can take once it has stopped."""
    server = ServerThread(db, serving_config())
    # Its connections, closed, keep the port only while they wait out TIME_WAIT: unless
    # they allow reuse, a server restarted on it could not bind it for a minute.
    server.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    return server.start()


def serving_config() -> Any:
    from xene.server.config import ServerConfig

    return ServerConfig(
        auth=False, poll_s=0.2, grace_s=1.0, rate_burst=10_000, rate_per_s=10_000.0,
        lease_s=LEASE_S, agent=False,
    )  # fmt: skip


async def until_lines(api: httpx.AsyncClient, run_id: str, wanted: list[str]) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while (await lines_of(api, run_id))[: len(wanted)] != wanted:
        assert time.monotonic() < deadline, f"run {run_id} never printed {wanted}"
        await asyncio.sleep(0.05)


# -- an agent as its own process: SIGTERM ------------------------------------------------
@pytest.fixture
def processes() -> Iterator[list[subprocess.Popen[str]]]:
    """Agent processes a test starts: killed if still running when it ends."""
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
        process.communicate()


def agent_process(
    processes: list[subprocess.Popen[str]], server: ServerThread, tmp_path: Path, name: str,
    *more: str,
) -> subprocess.Popen[str]:  # fmt: skip
    command = [
        sys.executable, "-m", "xene.cli.main", "agent", "--server", server.url,
        "--name", name, "--spool", str(tmp_path / name), *more,
    ]  # fmt: skip
    env = {**os.environ, "XENE_HOME": str(tmp_path / "home")}
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, text=True)
    processes.append(process)
    return process


async def registered(api: httpx.AsyncClient, name: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        agents = (await api.get("/api/v1/agents")).json()["agents"]
        if any(a["name"] == name for a in agents):
            return
        assert time.monotonic() < deadline, f"agent {name} never registered"
        await asyncio.sleep(0.05)


async def ended(process: subprocess.Popen[str]) -> tuple[int, str]:
    """Its exit code and what it said on stderr, once it has exited."""
    _, err = await asyncio.to_thread(process.communicate, None, DEADLINE_S)
    return process.returncode, err


async def test_sigterm_lets_a_step_within_the_grace_finish_then_exits_0(
    server: ServerThread, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    go = tmp_path / "go"
    script = f"echo waiting; while [ ! -f {go} ]; do sleep 0.02; done; echo finished"
    async with client(server) as api:
        run_id = await queue(api, workflow("graceful", script))
        process = agent_process(processes, server, tmp_path, "sub", "--grace", "20")
        await until_lines(api, run_id, ["waiting"])
        process.send_signal(signal.SIGTERM)
        await until_state(api, "sub", "draining")
        go.touch()
        code, err = await ended(process)
        assert code == 0, err
        run = await run_in(api, run_id)
        assert run["state"] == "Success", run
        assert await lines_of(api, run_id) == ["waiting", "finished"]


async def test_sigterm_past_the_grace_releases_the_run_for_another_agent_at_once(
    db: str, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    # A lease longer than the test's deadline: the second agent can take the run only
    # because the first released it.
    script = 'echo "attempt $XENE_ATTEMPT"; if [ "$XENE_ATTEMPT" = 1 ]; then sleep 60; fi'
    with serving(db, lease_s=120.0, agent=False) as server:
        async with client(server) as api:
            run_id = await queue(api, workflow("slow", script))
            process = agent_process(processes, server, tmp_path, "first", "--grace", "0.5")
            await until_lines(api, run_id, ["attempt 1"])
            process.send_signal(signal.SIGTERM)
            code, err = await ended(process)
            assert code == 0, err
            left = (await api.get(f"/api/v1/runs/{run_id}")).json()
            assert left["state"] not in FINAL, left
            assert left["lease_until"] == 0.0, left
            async with agent_running(settings(server, tmp_path, "second")):
                run = await run_in(api, run_id)
            assert run["state"] == "Success", run
            assert await lines_of(api, run_id) == ["attempt 1", "attempt 2"]


async def until_state(api: httpx.AsyncClient, name: str, state: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while True:
        agents = (await api.get("/api/v1/agents")).json()["agents"]
        if any(a["name"] == name and a["state"] == state for a in agents):
            return
        assert time.monotonic() < deadline, f"agent {name} never {state}: {agents}"
        await asyncio.sleep(0.05)


# -- what reaches the agent through the server: cancel, approvals ------------------------
GATE = """\
name: gate
version: "1.0"
nodes:
  gate: {type: std::wait, config: {hook_id: deploy}}
  ship: {type: std::log, config: {message: "shipping"}}
edges:
  - {from: gate, to: ship}
"""


async def test_a_cancel_asked_of_the_server_reaches_the_agent(
    server: ServerThread, tmp_path: Path
) -> None:
    pid_file = tmp_path / "pid"
    async with client(server) as api:
        run_id = await queue(api, workflow("long", f"echo $$ > {pid_file}; echo started; sleep 60"))
        async with agent_running(settings(server, tmp_path)):
            await until_lines(api, run_id, ["started"])
            cancelled = await api.post(f"/api/v1/runs/{run_id}/cancel")
            assert cancelled.status_code in (200, 202), cancelled.text
            run = await run_in(api, run_id)
        assert run["state"] == "Cancelled", run
        pid = int(pid_file.read_text())
        await until(lambda: not alive(pid), "the cancelled step's process ended")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_an_approval_suspends_the_run_and_the_decision_brings_it_back(
    server: ServerThread, tmp_path: Path
) -> None:
    async with client(server) as api:
        run_id = await queue(api, GATE, pipeline="gate")
        async with agent_running(settings(server, tmp_path)) as agent:
            await run_in(api, run_id, ("Suspended",))
            (waiting,) = (await api.get("/api/v1/approvals")).json()["approvals"]
            assert waiting["run_id"] == run_id
            decided = await api.post(f"/api/v1/approvals/{waiting['hook_id']}/approve")
            assert decided.status_code == 200, decided.text
            run = await run_in(api, run_id)
            assert agent.work is not None
            assert agent.work.claimed == 2  # again, once decided
        assert run["state"] == "Success", run
        assert {n["key"]: n["state"] for n in run["nodes"]}["ship"] == "Success"


# -- fencing and secrets -------------------------------------------------------------------
async def test_an_agent_stopped_past_its_lease_stops_its_step_and_writes_nothing_more(
    db: str, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    from xene.store import open_store

    pid_file = tmp_path / "pid"
    script = f"echo started; echo $$ > {pid_file}; exec sleep 60"
    with serving(db, lease_s=1.0, agent=False) as server:
        async with client(server) as api:
            run_id = await queue(api, workflow("fenced", script))
            process = agent_process(processes, server, tmp_path, "stopped")
            await until_lines(api, run_id, ["started"])
            await until(pid_file.exists, "the step's pid written")
            step = int(pid_file.read_text())
            process.send_signal(signal.SIGSTOP)
            await until_lease_ended(api, run_id)
            store = await open_store(db)
            try:  # another claims the run: a new epoch; the stopped agent's is over
                now = time.time()
                assert await store.claim_run(run_id, "agent:other", now + 60.0, now)
            finally:
                await store.close()
            process.send_signal(signal.SIGCONT)
            await until(lambda: not alive(step), "the fenced run's step stopped")
            assert await lines_of(api, run_id) == ["started"]  # its late output refused
            run = (await api.get(f"/api/v1/runs/{run_id}")).json()
            assert (run["owner"], run["state"]) == ("agent:other", "Running")
            process.send_signal(signal.SIGTERM)
            code, err = await ended(process)
    assert code == 0, err
    assert f"run {run_id}: " in err
    assert "its lease has moved on, so its steps are stopped" in err


async def until_lease_ended(api: httpx.AsyncClient, run_id: str) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while (await api.get(f"/api/v1/runs/{run_id}")).json()["lease_until"] >= time.time():
        assert time.monotonic() < deadline, f"run {run_id}'s lease never ended"
        await asyncio.sleep(0.05)


async def test_a_run_gets_the_secrets_its_pipeline_names_masked_in_its_output(
    server: ServerThread, tmp_path: Path
) -> None:
    value = "sk-live-7c1f9a2e4b8d"
    text = workflow("secretive", 'echo "key=$API_KEY"; echo "length=${#API_KEY}"')
    text = text.replace("        work:\n", "        work:\n          secrets: [API_KEY]\n")
    async with client(server) as api:
        put = await api.put("/api/v1/secrets/API_KEY", json={"value": value})
        assert put.status_code == 201, put.text
        run_id = await queue(api, text)
        async with agent_running(settings(server, tmp_path)):
            run = await run_in(api, run_id)
        assert run["state"] == "Success", run
        lines = await lines_of(api, run_id)
    assert lines == ["key=***", f"length={len(value)}"]


async def test_commits_left_by_an_agent_killed_while_the_server_was_away_are_sent_next_time(
    db: str, tmp_path: Path, processes: list[subprocess.Popen[str]]
) -> None:
    go = tmp_path / "go"
    script = f'echo "attempt $XENE_ATTEMPT"; while [ ! -f {go} ]; do sleep 0.02; done; echo done'
    spool = tmp_path / "phoenix"
    first = reusable(db)
    second: ServerThread | None = None
    try:
        async with client(first) as api:
            run_id = await queue(api, workflow("phoenix", script))
            process = agent_process(processes, first, tmp_path, "phoenix")
            await until_lines(api, run_id, ["attempt 1"])
            await asyncio.to_thread(first.stop)
            go.touch()
            await until(lambda: spooled(spool, b'"done"'), "the step's end spooled")
            process.kill()  # its commits are on disk, not on the server
            await ended(process)
            second = await asyncio.to_thread(restarted, first)
            agent_process(processes, second, tmp_path, "phoenix")
            run = await run_in(api, run_id)
            assert run["state"] == "Success", run
            assert await lines_of(api, run_id) == ["attempt 1", "done"]  # not run again
    finally:
        if second is not None:
            second.stop()


def spooled(spool: Path, text: bytes) -> bool:
    return any(text in path.read_bytes() for path in spool.glob("*.jsonl"))


# -- capacity and failover --------------------------------------------------------------
async def test_an_agent_holds_no_more_runs_than_its_capacity(
    server: ServerThread, tmp_path: Path
) -> None:
    go = tmp_path / "go"
    script = f"echo started; while [ ! -f {go} ]; do sleep 0.02; done"
    async with client(server) as api:
        runs = [await queue(api, workflow("wide", script))] + [
            (await api.post("/api/v1/workflows/wide/pipelines/main/runs")).json()["run_id"]
            for _ in range(2)
        ]
        async with agent_running(settings(server, tmp_path, capacity=2)) as agent:
            assert agent.work is not None
            held = agent.work.held
            await until(lambda: len(held) == 2, "two runs held")
            for run_id in list(held):
                await until_lines(api, run_id, ["started"])
            assert agent.work.claimed == 2
            assert len(held) == 2  # the third waits for room
            go.touch()
            for run_id in runs:
                assert (await run_in(api, run_id))["state"] == "Success"
            assert agent.work.claimed == 3


async def test_the_runs_of_an_agent_go_on_through_the_next_server(db: str, tmp_path: Path) -> None:
    go = tmp_path / "go"
    script = f"echo before; while [ ! -f {go} ]; do sleep 0.02; done; echo after"
    with serving(db, lease_s=LEASE_S, agent=False) as second:
        first = ServerThread(db, serving_config()).start()
        try:
            async with client(second) as api:
                run_id = await queue(api, workflow("failover", script))
                both = AgentSettings(
                    servers=(first.url, second.url), name="laptop",
                    spool=str(tmp_path / "spool"),
                )  # fmt: skip
                async with agent_running(both) as agent:
                    await until_lines(api, run_id, ["before"])
                    assert agent.link.server == first.url
                    await asyncio.to_thread(first.stop)
                    go.touch()
                    run = await run_in(api, run_id)
                    assert agent.link.server == second.url
                assert run["state"] == "Success", run
                assert await lines_of(api, run_id) == ["before", "after"]
        finally:
            if first.thread.is_alive():
                first.stop()
