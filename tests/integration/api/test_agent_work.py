"""Remote agents' work through the API, on SQLite and PostgreSQL: claiming queued runs (a
long poll woken by the store), committing journals under a lease's epoch, heartbeats
renewing leases and carrying cancels, approvals of held runs, and who may call what.

The server's built-in agent is off: the test is the agent, speaking the wire forms an
agent speaks (`xene.store.wire`)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from tests.conftest import FakeClock
from tests.integration.api.conftest import (
    JWT_SECRET,
    apply,
    bearer,
    client_of,
    shell_workflow,
    trigger,
    wait_run,
)
from tests.integration.server_thread import serving
from xene.core.states import Decision, State
from xene.server import tokens
from xene.server.api import create_app
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store, wakeups
from xene.store.base import ApprovalRecord, Batch, LogChunk, RunRow, ServerStore
from xene.store.wire import batch_json, stored_run_of

LEASE_S = 15.0
DEADLINE_S = 10.0
"""Far below a long poll's 30 s: a claim back within it was woken, not timed out."""
WORKFLOW = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: work}
spec:
  triggers: {go: {type: manual}}
  pipelines:
    plain:
      trigger: go
      tasks:
        t:
          secrets: [API_KEY]
          steps: [{name: s, cmd: 'echo hi'}]
    gpu:
      trigger: go
      agent: {labels: [gpu]}
      tasks:
        t: {steps: [{name: s, cmd: 'echo fit'}]}
"""


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'xene.db'}"
    return str(request.getfixturevalue("pg_database"))


@pytest.fixture
async def store(store_url: str) -> AsyncIterator[ServerStore]:
    opened = await open_store(store_url)
    yield opened
    await opened.close()


@dataclass
class Api:
    """A server without its built-in agent, people's tokens of any role, and agents."""

    app: FastAPI
    store: ServerStore
    clock: FakeClock

    async def call(
        self, role: str, method: str, path: str, body: Any = None, **params: Any
    ) -> httpx.Response:
        headers = await bearer(self.store, role, now=self.clock.now())
        async with client_of(self.app, **headers) as client:
            return await client.request(method, path, json=body, params=params)

    async def agent(self, name: str, labels: tuple[str, ...] = (), capacity: int = 4) -> Agent:
        wanted = tokens.NewToken("agent", name, 3600.0, "tests")
        issued = await tokens.issue(self.store, JWT_SECRET, wanted, self.clock.now())
        agent = Agent(self, {"authorization": f"Bearer {issued.token}"})
        offer = {"labels": list(labels), "capacity": capacity}
        answer = await agent.post("/register", offer)
        assert answer.status_code == 200, answer.text
        return agent

    async def trigger(self, pipeline: str) -> str:
        answer = await self.call(
            "manager", "POST", f"/api/v1/workflows/work/pipelines/{pipeline}/runs"
        )
        assert answer.status_code == 201, answer.text
        run_id: str = answer.json()["run_id"]
        return run_id

    async def run(self, run_id: str) -> dict[str, Any]:
        answer = await self.call("viewer", "GET", f"/api/v1/runs/{run_id}")
        assert answer.status_code == 200, answer.text
        found: dict[str, Any] = answer.json()
        return found

    async def lines(self, run_id: str) -> list[str]:
        answer = await self.call("viewer", "GET", f"/api/v1/runs/{run_id}/logs")
        return [line for chunk in answer.json()["chunks"] for line in chunk["lines"]]

    async def metrics(self) -> str:
        return (await self.call("viewer", "GET", "/metrics")).text


@dataclass
class Agent:
    api: Api
    headers: dict[str, str]

    async def post(self, path: str, body: Any = None) -> httpx.Response:
        async with client_of(self.api.app, **self.headers) as client:
            return await client.post("/api/v1/agent" + path, json=body, timeout=60)

    async def get(self, path: str) -> httpx.Response:
        async with client_of(self.api.app, **self.headers) as client:
            return await client.get("/api/v1/agent" + path)

    async def claim(self, free: int = 1, wait_s: float = 0.0) -> list[dict[str, Any]]:
        answer = await self.post("/claim", {"free": free, "wait_s": wait_s})
        assert answer.status_code == 200, answer.text
        runs: list[dict[str, Any]] = answer.json()["runs"]
        return runs

    async def commit(self, run_id: str, epoch: int, *batches: tuple[int, Batch]) -> httpx.Response:
        commits = [{"seq": seq, "batch": batch_json(batch)} for seq, batch in batches]
        return await self.post(f"/runs/{run_id}/commits", {"epoch": epoch, "commits": commits})

    async def beat(self, runs: dict[str, int]) -> dict[str, Any]:
        answer = await self.post("/heartbeat", {"running": len(runs), "runs": runs})
        assert answer.status_code == 200, answer.text
        reply: dict[str, Any] = answer.json()
        return reply


@pytest.fixture
async def api(store: ServerStore, clock: FakeClock) -> Api:
    config = ServerConfig(
        auth=True, jwt_secret=JWT_SECRET, lease_s=LEASE_S, agent=False, poll_s=60.0
    )  # a poll of a minute: only a wake-up ends a long poll within the test's deadline
    api = Api(create_app(Runtime(store, config, clock=clock)), store, clock)
    secret = await api.call("admin", "PUT", "/api/v1/secrets/API_KEY", {"value": "k-123"})
    assert secret.status_code == 201, secret.text
    other = await api.call("admin", "PUT", "/api/v1/secrets/OTHER", {"value": "not-yours"})
    assert other.status_code == 201, other.text
    async with client_of(api.app, **(await bearer(store, "admin", now=clock.now()))) as client:
        answer = await client.post(
            "/api/v1/workflows", content=WORKFLOW, headers={"content-type": "application/yaml"}
        )
    assert answer.status_code == 201, answer.text
    return api


def running(run_id: str, now: float, *lines: str) -> Batch:
    logs = [LogChunk(run_id, "t", "s", now, lines)] if lines else []
    return Batch(
        run=RunRow(run_id, State.RUNNING, None, now, None), logs=logs, lease_until=now + 15
    )


def ended(run_id: str, now: float) -> Batch:
    return Batch(run=RunRow(run_id, State.SUCCESS, None, now, now + 1), lease_until=0.0)


async def claimed_one(api: Api, agent: Agent, pipeline: str = "plain") -> tuple[str, int]:
    run_id = await api.trigger(pipeline)
    (handed,) = await agent.claim()
    assert handed["run"]["id"] == run_id
    return run_id, int(handed["run"]["epoch"])


async def test_a_claim_hands_a_queued_run_over_with_its_epoch_and_only_its_secrets(
    api: Api,
) -> None:
    agent = await api.agent("box-1")
    run_id = await api.trigger("plain")
    (handed,) = await agent.claim(free=3)
    stored = stored_run_of(handed["run"])
    assert (stored.record.id, stored.record.state) == (run_id, State.WAITING)
    assert stored.epoch == 1  # its first claim
    assert stored.owner == "agent:box-1"
    assert stored.source.pipeline == "plain"
    assert handed["secrets"] == {"API_KEY": "k-123"}
    assert handed["lease_s"] == LEASE_S
    assert await agent.claim() == []  # it is held now
    assert 'xene_runs_claimed_total{agent="remote"} 1.0' in await api.metrics()


async def test_a_long_poll_returns_as_soon_as_a_run_is_queued(api: Api) -> None:
    agent = await api.agent("box-1")
    assert await agent.claim(wait_s=0) == []
    waiting = asyncio.create_task(agent.claim(wait_s=30))
    deadline = time.monotonic() + DEADLINE_S
    # The claim looked and found nothing once it listens for the queue (a private look:
    # nothing public tells that a request waits).
    while ("queued", wakeups.ANY) not in getattr(wakeups.of(api.store), "_subs", {}):
        assert time.monotonic() < deadline, "the claim never waited"
        await asyncio.sleep(0.01)
    run_id = await api.trigger("plain")
    (handed,) = await asyncio.wait_for(waiting, DEADLINE_S)
    assert handed["run"]["id"] == run_id


async def test_claims_respect_the_labels_an_agent_registered(api: Api) -> None:
    plain, gpu = await api.agent("plain-box"), await api.agent("gpu-box", labels=("gpu",))
    fit = await api.trigger("gpu")
    assert await plain.claim() == []
    (handed,) = await gpu.claim()
    assert handed["run"]["id"] == fit
    assert handed["secrets"] == {}


async def test_a_draining_agent_gets_nothing_at_once(api: Api) -> None:
    agent = await api.agent("box-1")
    await api.trigger("plain")
    drained = await api.call("admin", "POST", "/api/v1/agents/box-1/drain")
    assert drained.status_code == 200, drained.text
    assert await asyncio.wait_for(agent.claim(wait_s=30), DEADLINE_S) == []


async def test_an_unregistered_agent_is_told_to_register(api: Api) -> None:
    agent = await api.agent("box-1")
    forgotten = await api.call("admin", "DELETE", "/api/v1/agents/box-1")
    assert forgotten.status_code == 204
    answer = await agent.post("/claim", {"free": 1})
    assert answer.status_code == 404
    assert "register again" in answer.json()["error"]


async def test_commits_apply_once_each_and_a_final_one_ends_the_run(api: Api) -> None:
    agent = await api.agent("box-1")
    run_id, epoch = await claimed_one(api, agent)
    now = api.clock.now()
    first = await agent.commit(run_id, epoch, (1, running(run_id, now, "one", "two")))
    assert (first.status_code, first.json()) == (200, {"applied": 1})
    again = await agent.commit(
        run_id, epoch, (1, running(run_id, now, "one", "two")), (2, running(run_id, now, "three"))
    )  # the first was applied already: a resend after a lost answer
    assert (again.status_code, again.json()) == (200, {"applied": 2})
    assert await api.lines(run_id) == ["one", "two", "three"]
    done = await agent.commit(run_id, epoch, (3, ended(run_id, now)))
    assert done.status_code == 200, done.text
    assert (await api.run(run_id))["state"] == "Success"
    assert 'xene_runs_finished_total{state="Success"} 1.0' in await api.metrics()


async def test_a_commit_under_a_stale_epoch_is_refused(api: Api) -> None:
    agent = await api.agent("box-1")
    run_id, epoch = await claimed_one(api, agent)
    now = api.clock.now()
    stale = await agent.commit(run_id, epoch - 1, (1, running(run_id, now, "late")))
    assert stale.status_code == 409
    assert stale.json()["error"] == (
        f"run {run_id}'s lease has moved on (epoch {epoch - 1} is not current): stop it"
    )
    assert await api.lines(run_id) == []
    assert "xene_fenced_writes_total 1.0" in await api.metrics()


async def test_a_run_taken_over_is_lost_to_its_first_agent(api: Api) -> None:
    first, second = await api.agent("box-1"), await api.agent("box-2")
    run_id, epoch = await claimed_one(api, first)
    assert (await first.commit(run_id, epoch, (1, running(run_id, api.clock.now())))).is_success
    api.clock.time += LEASE_S - 1
    assert (await first.beat({run_id: epoch}))["lost"] == []
    api.clock.time += LEASE_S - 1  # past the claim's lease, within the renewed one
    await second.beat({})
    assert await second.claim() == []
    api.clock.time += 2
    await second.beat({})  # alive: a lost agent's claim gets nothing
    (taken,) = await second.claim()
    assert (taken["run"]["owner"], taken["run"]["epoch"]) == ("agent:box-2", epoch + 1)
    reply = await first.beat({run_id: epoch})
    assert (reply["lost"], reply["lease_s"]) == ([run_id], LEASE_S)
    late = await first.commit(run_id, epoch, (2, running(run_id, api.clock.now(), "late")))
    assert late.status_code == 409
    assert "stop it" in late.json()["error"]
    assert await api.lines(run_id) == []
    metrics = await api.metrics()
    assert "xene_lease_expiries_total 1.0" in metrics
    assert "xene_fenced_writes_total 1.0" in metrics


async def test_a_cancel_reaches_the_agent_in_its_heartbeat_reply(api: Api) -> None:
    agent = await api.agent("box-1")
    run_id, epoch = await claimed_one(api, agent)
    assert (await agent.commit(run_id, epoch, (1, running(run_id, api.clock.now())))).is_success
    cancelled = await api.call("manager", "POST", f"/api/v1/runs/{run_id}/cancel")
    assert cancelled.status_code == 202, cancelled.text
    assert (await agent.beat({run_id: epoch}))["cancel"] == [run_id]


async def test_a_pipeline_stop_reaches_the_agents_running_its_runs(api: Api) -> None:
    agent = await api.agent("box-1")
    run_id, epoch = await claimed_one(api, agent)
    assert (await agent.commit(run_id, epoch, (1, running(run_id, api.clock.now())))).is_success
    stopped = await api.call("manager", "POST", "/api/v1/workflows/work/pipelines/plain/stop")
    assert stopped.status_code == 200, stopped.text
    assert (await agent.beat({run_id: epoch}))["cancel"] == [run_id]


async def test_approvals_are_for_the_agent_holding_their_run(api: Api) -> None:
    holder, other = await api.agent("box-1"), await api.agent("box-2")
    run_id, epoch = await claimed_one(api, holder)
    now = api.clock.now()
    asked = ApprovalRecord("hook-1", run_id, "t", {"why": "ship"}, now, None, Decision.REJECT)
    batch = Batch(approvals=[asked], lease_until=now + LEASE_S)
    assert (await holder.commit(run_id, epoch, (1, batch))).status_code == 200
    seen = await holder.get("/approvals/hook-1")
    assert seen.status_code == 200, seen.text
    assert (seen.json()["run_id"], seen.json()["metadata"]) == (run_id, {"why": "ship"})
    refused = await other.get("/approvals/hook-1")
    assert refused.status_code == 409
    assert "not held by agent 'box-2'" in refused.json()["error"]
    assert (await holder.get("/approvals/nope")).status_code == 404
    body = {"decision": "approve", "data": {"n": 1}, "reason": "timed out", "at": now}
    decided = await holder.post("/approvals/hook-1/decide", body)
    assert decided.json()["approval"]["decision"] == "approve"
    twice = await holder.post("/approvals/hook-1/decide", body)
    assert twice.json() == {"approval": None}


async def test_bad_commits_are_refused_saying_where(api: Api) -> None:
    agent = await api.agent("box-1")
    run_id, epoch = await claimed_one(api, agent)
    good = batch_json(running(run_id, api.clock.now(), "x"))
    cases = [
        ({**good, "lease_until": "soon"}, "commits.0.batch.lease_until"),
        ({**good, "run": {**good["run"], "state": "Bogus"}}, "commits.0.batch.run.state"),
        ({**good, "run": {**good["run"], "id": "another"}}, "is not this run"),
    ]
    for batch, words in cases:
        body = {"epoch": epoch, "commits": [{"seq": 1, "batch": batch}]}
        answer = await agent.post(f"/runs/{run_id}/commits", body)
        assert answer.status_code == 422, answer.text
        assert any(words in problem for problem in answer.json()["problems"]), answer.text
    assert await api.lines(run_id) == []
    answer = await agent.post(
        "/runs/nope/commits", {"epoch": 1, "commits": [{"seq": 1, "batch": {}}]}
    )
    assert answer.status_code == 404


@pytest.mark.parametrize("role", ["viewer", "manager", "admin"])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("POST", "/api/v1/agent/claim"),
        ("POST", "/api/v1/agent/runs/r/commits"),
        ("GET", "/api/v1/agent/approvals/h"),
        ("POST", "/api/v1/agent/approvals/h/decide"),
    ],
)
async def test_peoples_tokens_cannot_call_the_work_routes(
    api: Api, role: str, method: str, path: str
) -> None:
    answer = await api.call(role, method, path, {"free": 1})
    assert answer.status_code == 403
    assert "the agent routes are for agents" in answer.json()["error"]


async def test_the_built_in_agents_claims_are_counted_apart(client: httpx.AsyncClient) -> None:
    await apply(client, shell_workflow("hello", "echo hi"))
    run_id = await trigger(client, "hello", "main")
    assert (await wait_run(client, run_id))["state"] == "Success"
    metrics = (await client.get("/metrics")).text
    assert 'xene_runs_claimed_total{agent="built-in"} 1.0' in metrics
    assert "xene_lease_expiries_total 0.0" in metrics


async def test_a_waiting_claim_answers_at_once_when_the_server_stops(tmp_path: Path) -> None:
    with serving(f"sqlite:///{tmp_path}/stops.db", agent=False, poll_s=60.0) as server:
        assert server.runtime is not None
        queued = wakeups.of(server.runtime.store)
        async with httpx.AsyncClient(base_url=server.url, timeout=60) as client:
            offer = {"name": "box-1", "capacity": 1}
            assert (await client.post("/api/v1/agent/register", json=offer)).is_success
            body = {"free": 1, "wait_s": 30}
            waiting = asyncio.create_task(client.post("/api/v1/agent/claim?name=box-1", json=body))
            deadline = time.monotonic() + DEADLINE_S
            # The built-in agent's subscription, and the claim's once it waits (a private
            # look: nothing public tells that a request waits).
            while len(getattr(queued, "_subs", {}).get(("queued", wakeups.ANY), ())) < 2:
                assert time.monotonic() < deadline, "the claim never waited"
                await asyncio.sleep(0.01)
            stopping = asyncio.create_task(asyncio.to_thread(server.stop))
            answer = await asyncio.wait_for(waiting, DEADLINE_S)
            await stopping
    assert answer.status_code == 200
    assert answer.json()["runs"] == []


FLAKY = """\
name: flaky
nodes:
  work: {type: std::shell, config: {command: "false"}}
settings:
  circuit_breaker_threshold: 1
  circuit_breaker_window: 2
"""


async def test_runs_an_agent_ends_in_error_trip_their_pipelines_breaker(api: Api) -> None:
    headers = await bearer(api.store, "admin", now=api.clock.now())
    async with client_of(api.app, **headers) as client:
        assert (await apply(client, FLAKY))["name"] == "flaky"
    agent = await api.agent("box-1")
    for _ in range(2):
        answer = await api.call("manager", "POST", "/api/v1/workflows/flaky/pipelines/flaky/runs")
        assert answer.status_code == 201, answer.text
        (handed,) = await agent.claim()
        run_id, epoch, now = handed["run"]["id"], handed["run"]["epoch"], api.clock.now()
        failed = Batch(run=RunRow(run_id, State.ERROR, "work failed", now, now), lease_until=0.0)
        assert (await agent.commit(run_id, epoch, (1, failed))).is_success
    assert (await api.store.pipeline_modes("flaky")).get("flaky") == "paused"
