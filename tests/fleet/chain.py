"""The workflow the lease and control tests share: a -> b -> c, where b holds until
the test lets it go, and every node's side effects are counted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.fleet.conftest import Fleet
from tests.fleet.harness import AgentProcess, Api, until

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

    def b_pid(self, run_id: str, attempt: int, deadline_s: float = 30) -> int:
        path = self.work / f"{run_id}.b{attempt}.pid"

        def written() -> int | None:
            text = path.read_text() if path.exists() else ""
            return int(text) if text.endswith("\n") else None

        return until(written, f"b (attempt {attempt}) of run {run_id} to start", deadline_s)

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
        done = any(n["node"] == "a" and n["state"] == "Success" for n in run["nodes"])
        return run if done else None

    run = until(a_done, f"node a of run {run_id} recorded finished")
    assert run["owner"].startswith("agent:"), run["owner"]
    return agents[run["owner"].removeprefix("agent:")]


def two_agents(fleet: Fleet, lease_s: float) -> tuple[Api, Chain, dict[str, AgentProcess]]:
    """A server with this lease, and two agents that can run the chain."""
    server = fleet.server(lease_s=lease_s)
    api = fleet.api(server)
    agents = {
        name: fleet.agent(name, [server], labels=["leased"], capacity=2)
        for name in ("fleet-a", "fleet-b")
    }
    api.wait_online(*agents)
    return api, Chain(api, fleet.work), agents
