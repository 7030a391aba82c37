"""Leases with fencing: an agent that dies or freezes loses its runs when the lease ends,
another agent resumes them (finished nodes not re-run, the one in flight re-run with a
higher XENE_ATTEMPT), and the frozen one's late writes are refused."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.fleet.conftest import Fleet
from tests.fleet.harness import AgentProcess, Api, gone, node, outcome, until

pytestmark = pytest.mark.slow

# a -> b -> c. Each node appends to the run's effects file (the side effects counted);
# b writes its pid, ticks a line a tenth of a second until its go file for this attempt
# appears, and only then says it is done.
CHAIN = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: leased}
spec:
  triggers: {manual: {type: manual}}
  pipelines:
    chain:
      trigger: manual
      agent: {labels: [leased]}
      tasks:
        a:
          steps:
            - name: s
              cmd: echo "a $XENE_ATTEMPT" >> W/$XENE_RUN_ID.fx; echo "v=a" >> "$XENE_OUTPUT"
        b:
          dependencies: [a]
          steps:
            - name: s
              cmd: >-
                echo "b start $XENE_ATTEMPT" >> W/$XENE_RUN_ID.fx;
                echo $$ > W/$XENE_RUN_ID.b$XENE_ATTEMPT.pid; i=0;
                while [ ! -f W/$XENE_RUN_ID.go$XENE_ATTEMPT ]; do
                i=$((i+1)); echo "b $XENE_ATTEMPT tick $i"; sleep 0.1; done;
                echo "b done $XENE_ATTEMPT" >> W/$XENE_RUN_ID.fx; echo "v=b" >> "$XENE_OUTPUT"
        c:
          dependencies: [b]
          steps:
            - name: s
              cmd: echo "c $XENE_ATTEMPT" >> W/$XENE_RUN_ID.fx; echo "v=c" >> "$XENE_OUTPUT"
"""
LEASE_S = 2.0


class Chain:
    """The chain workflow's runs, their side effects and their steps' pids."""

    def __init__(self, api: Api, work: Path) -> None:
        self.api, self.work = api, work
        api.apply(CHAIN.replace("W/", f"{work}/"))

    def start(self) -> str:
        return self.api.trigger("leased", "chain")

    def effects(self, run_id: str) -> list[str]:
        path = self.work / f"{run_id}.fx"
        return path.read_text().splitlines() if path.exists() else []

    def b_pid(self, run_id: str, attempt: int) -> int:
        path = self.work / f"{run_id}.b{attempt}.pid"

        def written() -> int | None:
            text = path.read_text() if path.exists() else ""
            return int(text) if text.endswith("\n") else None

        return until(written, f"b (attempt {attempt}) of run {run_id} to start", 30)

    def release(self, run_id: str, attempt: int) -> None:
        (self.work / f"{run_id}.go{attempt}").touch()

    def uninterrupted(self) -> dict[str, Any]:
        run_id = self.start()
        self.b_pid(run_id, 1)
        self.release(run_id, 1)
        run = self.api.wait_final(run_id)
        assert run["state"] == "Success", run
        assert self.effects(run_id) == ["a 1", "b start 1", "b done 1", "c 1"]
        return run


def holder(api: Api, run_id: str, agents: dict[str, AgentProcess]) -> AgentProcess:
    """The agent the server says holds the run, once a finished `a` is recorded."""

    def a_done() -> dict[str, Any] | None:
        run = api.run(run_id)
        return run if node(run, "a")["state"] == "Success" else None

    run = until(a_done, f"node a of run {run_id} recorded finished")
    assert run["owner"].startswith("agent:"), run["owner"]
    return agents[run["owner"].removeprefix("agent:")]


def two_agents(fleet: Fleet) -> tuple[Api, Chain, dict[str, AgentProcess]]:
    server = fleet.server(lease_s=LEASE_S)
    api = fleet.api(server)
    agents = {
        name: fleet.agent(name, [server], labels=["leased"], capacity=2)
        for name in ("fleet-a", "fleet-b")
    }
    api.wait_online(*agents)
    return api, Chain(api, fleet.work), agents


def test_a_killed_agents_run_finishes_on_another_without_re_running_finished_nodes(
    fleet: Fleet,
) -> None:
    api, chain, agents = two_agents(fleet)
    baseline = chain.uninterrupted()
    run_id = chain.start()
    chain.b_pid(run_id, 1)
    dead = holder(api, run_id, agents)
    dead.kill()  # with its steps: the machine is gone
    chain.release(run_id, 2)
    run = api.wait_final(run_id, deadline_s=LEASE_S + 20)
    assert run["state"] == "Success", run
    assert chain.effects(run_id) == ["a 1", "b start 1", "b start 2", "b done 2", "c 1"]
    assert [node(run, n)["attempts"] for n in "abc"] == [1, 2, 1]
    assert outcome(run) == outcome(baseline)
    assert api.metric("xene_lease_expiries_total") == 1


def test_a_frozen_agent_past_its_lease_is_fenced_and_stops_its_steps(fleet: Fleet) -> None:
    api, chain, agents = two_agents(fleet)
    run_id = chain.start()
    first = chain.b_pid(run_id, 1)
    frozen = holder(api, run_id, agents)
    until(lambda: "b 1 tick 2" in api.log_lines(run_id), "b's first lines in the logs")
    frozen.freeze()  # the agent stops; its step goes on printing into the pipe
    second = chain.b_pid(run_id, 2)  # another agent took the run over, after the lease
    taker = api.run(run_id)["owner"]
    assert taker.startswith("agent:")
    assert taker != f"agent:{frozen.name}"
    before = [line for line in api.log_lines(run_id) if line.startswith("b 1 ")]
    frozen.thaw()
    until(lambda: gone(first), "the fenced agent to stop b's first attempt", 15)
    chain.release(run_id, 1)  # had it lived on, b would finish twice
    chain.release(run_id, 2)
    run = api.wait_final(run_id)
    assert run["state"] == "Success", run
    assert chain.effects(run_id) == ["a 1", "b start 1", "b start 2", "b done 2", "c 1"]
    late = [line for line in api.log_lines(run_id) if line.startswith("b 1 ")]
    assert late == before, "the frozen agent's late output was refused"
    assert frozen.alive(), "the fenced agent drops the run, not its life"
    assert gone(second)
    assert api.metric("xene_lease_expiries_total") == 1
