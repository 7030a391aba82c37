"""Runs go to agents by label and capacity, and a run no agent can take says why."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tests.fleet.conftest import Fleet
from tests.fleet.harness import until

pytestmark = pytest.mark.slow

# Every step holds until WORK/go exists, so the runs each agent holds can be counted.
HELD = """\
      tasks:
        t:
          steps:
            - name: s
              cmd: >-
                echo "$XENE_RUN_ID" >> WORK/effects;
                while [ ! -f WORK/go ]; do sleep 0.05; done
"""
ROUTED = """\
kind: Workflow
apiVersion: v1alpha1
metadata: {name: routed}
spec:
  triggers: {manual: {type: manual}}
  pipelines:
""" + "".join(
    f"    {label}:\n      trigger: manual\n      agent: {{labels: [{label}]}}\n{HELD}"
    for label in ("cpu", "gpu", "tpu")
)


def test_runs_spread_by_labels_and_capacity_and_one_no_agent_can_take_waits(
    fleet: Fleet, work: Path
) -> None:
    server = fleet.server()
    api = fleet.api(server)
    fleet.agent("fleet-a", [server], labels=["cpu"], capacity=2)
    fleet.agent("fleet-b", [server], labels=["gpu"], capacity=1)
    fleet.agent("fleet-c", [server], labels=["cpu", "os=linux"], capacity=1)
    api.wait_online("fleet-a", "fleet-b", "fleet-c")
    api.apply(ROUTED.replace("WORK", str(work)))
    cpu = [api.trigger("routed", "cpu") for _ in range(4)]
    gpu = [api.trigger("routed", "gpu") for _ in range(2)]
    tpu = api.trigger("routed", "tpu")

    def held() -> Counter[str] | None:
        owners = Counter(r["owner"] for r in api.runs(cpu + gpu) if r["state"] == "Running")
        return owners if sum(owners.values()) == 4 else None

    owners = until(held, "4 runs running: as many as the agents' capacity")
    assert owners == {"agent:fleet-a": 2, "agent:fleet-b": 1, "agent:fleet-c": 1}
    running = {r["id"]: r["owner"] for r in api.runs(cpu + gpu) if r["state"] == "Running"}
    assert all(owner == "agent:fleet-b" for rid, owner in running.items() if rid in gpu)
    waiting = [r for r in api.runs(cpu + gpu) if r["state"] == "WaitingForExecutor"]
    assert len(waiting) == 2, "one cpu and one gpu run wait for capacity"
    gpu_waiting = next(r["id"] for r in waiting if r["id"] in gpu)
    busy = "every agent that can run it is busy: fleet-b (1/1)"
    until(lambda: api.run(gpu_waiting)["waiting_for"] == busy, f"the gpu run to say {busy!r}")
    assert api.run(tpu)["waiting_for"] == "no online agent has label tpu"
    assert api.run(tpu)["state"] == "WaitingForExecutor"

    (work / "go").touch()
    for run_id in cpu + gpu:
        assert api.wait_final(run_id)["state"] == "Success"
    assert sorted((work / "effects").read_text().split()) == sorted(cpu + gpu)
    tpu_run = api.run(tpu)
    assert (tpu_run["state"], tpu_run["waiting_for"]) == (
        "WaitingForExecutor",
        "no online agent has label tpu",
    )
