"""Nothing lost on a blip: agents keep running while no server answers, and send what
they spooled, in order and once, when one does: the same server restarted, or another
server of the same store."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fleet.conftest import Fleet
from tests.fleet.harness import Api, node, until

pytestmark = pytest.mark.slow

# A step printing numbered lines while the server goes away, then waiting for its go file
# (so the test decides when it ends), then a last line.
TALKY = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: talky}
spec:
  triggers: {manual: {type: manual}}
  pipelines:
    talk:
      trigger: manual
      agent: {labels: [talky]}
      tasks:
        t:
          steps:
            - name: s
              cmd: >-
                for i in $(seq 1 LINES); do echo "$XENE_RUN_ID line $i"; sleep 0.02; done;
                while [ ! -f W/$XENE_RUN_ID.go ]; do sleep 0.05; done;
                echo "$XENE_RUN_ID done"
    hello:
      trigger: manual
      agent: {labels: [talky]}
      tasks:
        t: {steps: [{name: s, cmd: echo hello}]}
"""
LINES = 150


def talky(api: Api, work: Path) -> None:
    api.apply(TALKY.replace("W/", f"{work}/").replace("LINES", str(LINES)))


def expected(run_id: str) -> list[str]:
    return [f"{run_id} line {i}" for i in range(1, LINES + 1)] + [f"{run_id} done"]


def test_agents_reconnect_to_a_restarted_server_and_no_log_line_is_lost_or_doubled(
    fleet: Fleet,
) -> None:
    # A lease longer than the restart: the agents keep their runs through it.
    server = fleet.server(lease_s=10)
    api = fleet.api(server)
    for name in ("fleet-a", "fleet-b"):
        fleet.agent(name, [server], labels=["talky"])
    api.wait_online("fleet-a", "fleet-b")
    talky(api, fleet.work)
    runs = [api.trigger("talky", "talk") for _ in range(2)]
    until(
        lambda: all(len(api.log_lines(r)) >= 10 for r in runs),
        "both runs printing, on both agents",
    )
    assert {api.run(r)["owner"] for r in runs} == {"agent:fleet-a", "agent:fleet-b"}
    assert all(len(api.log_lines(r)) < LINES for r in runs), "the restart comes mid-output"
    server.kill()  # mid-output, mid-request perhaps
    server.start()
    api.wait_online("fleet-a", "fleet-b")
    for run_id in runs:
        (fleet.work / f"{run_id}.go").touch()
    for run_id in runs:
        run = api.wait_final(run_id)
        assert run["state"] == "Success", run
        assert node(run, "t")["attempts"] == 1, "kept by its agent through the restart"
        assert api.log_lines(run_id) == expected(run_id)


def test_an_agent_fails_over_to_another_server_and_its_runs_go_on(fleet: Fleet) -> None:
    first = fleet.server(lease_s=6)
    second = fleet.server(lease_s=6)
    api = fleet.api(second)
    fleet.agent("fleet-c", [first, second], labels=["talky"])
    api.wait_online("fleet-c")
    talky(api, fleet.work)
    run_id = api.trigger("talky", "talk")
    until(lambda: len(api.log_lines(run_id)) >= 10, "the run printing")
    first.kill()  # the server the agent talks to (its first)
    (fleet.work / f"{run_id}.go").touch()
    run = api.wait_final(run_id)
    assert run["state"] == "Success", run
    assert node(run, "t")["attempts"] == 1, "its lease renewed through the other server"
    assert api.log_lines(run_id) == expected(run_id)
    later = api.wait_final(api.trigger("talky", "hello"))
    assert later["state"] == "Success"
    assert api.log_lines(later["id"]) == ["hello"]
    assert api.agents()["fleet-c"]["state"] == "online"
