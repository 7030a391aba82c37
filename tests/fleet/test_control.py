"""Control reaches agents: SIGTERM drains an agent and releases what it could not finish
(another agent resumes it at once, not after the lease), a cancel and a pipeline stop
stop the steps where they run, and `xene agent drain` keeps an agent from new runs."""

from __future__ import annotations

import signal

import pytest

from tests.fleet.chain import Chain, holder, two_agents
from tests.fleet.conftest import Fleet
from tests.fleet.harness import gone, node, until

pytestmark = pytest.mark.slow
LEASE_S = 30.0
"""Longer than these tests wait for anything: nothing here may wait for a lease to end."""


def test_sigterm_drains_the_agent_and_another_resumes_its_run_at_once(fleet: Fleet) -> None:
    api, chain, agents = two_agents(fleet, LEASE_S)
    run_id = chain.start()
    first = chain.b_pid(run_id, 1)
    leaving = holder(api, run_id, agents)
    leaving.signal(signal.SIGTERM)
    assert leaving.wait(15) == 0, leaving.output()
    assert gone(first), "b's first attempt did not outlive the agent's grace"
    chain.b_pid(run_id, 2, deadline_s=LEASE_S / 2)  # released: not waiting for the lease
    chain.release(run_id, 2)
    run = api.wait_final(run_id)
    assert run["state"] == "Success", run
    assert chain.effects(run_id) == ["a 1", "b start 1", "b start 2", "b done 2", "c 1"]
    assert [node(run, n)["attempts"] for n in "abc"] == [1, 2, 1]


def test_a_cancel_and_a_pipeline_stop_stop_the_steps_on_the_agents(fleet: Fleet) -> None:
    api, chain, _ = two_agents(fleet, 6.0)  # cancels ride on heartbeats: a third of it
    cancelled, stopped = chain.start(), chain.start()
    pids = {run_id: chain.b_pid(run_id, 1) for run_id in (cancelled, stopped)}
    api.ok("POST", f"/runs/{cancelled}/cancel")
    until(lambda: gone(pids[cancelled]), "the cancelled run's step to stop", 10)
    assert not gone(pids[stopped])
    api.ok("POST", "/workflows/leased/pipelines/chain/stop")
    until(lambda: gone(pids[stopped]), "the stopped pipeline's step to stop", 10)
    for run_id in (cancelled, stopped):
        run = api.wait_final(run_id, deadline_s=10)
        assert run["state"] == "Cancelled", run
        assert node(run, "c")["attempts"] == 0
        assert chain.effects(run_id) == ["a 1", "b start 1"]
    api.ok("POST", "/workflows/leased/pipelines/chain/resume")
    assert finished(chain)["state"] == "Success", "the agents take runs again"


def finished(chain: Chain) -> dict[str, object]:
    run_id = chain.start()
    chain.b_pid(run_id, 1)
    chain.release(run_id, 1)
    return chain.api.wait_final(run_id)


def test_a_drained_agent_finishes_its_run_and_takes_no_new_one(fleet: Fleet) -> None:
    server = fleet.server(lease_s=LEASE_S)
    api = fleet.api(server)
    fleet.agent("fleet-a", [server], labels=["leased"], capacity=2)
    api.wait_online("fleet-a")
    chain = Chain(api, fleet.work)
    running = chain.start()
    chain.b_pid(running, 1)
    api.ok("POST", "/agents/fleet-a/drain")
    until(lambda: api.agents()["fleet-a"]["state"] == "draining", "fleet-a draining")
    queued = chain.start()
    chain.release(running, 1)
    assert api.wait_final(running)["state"] == "Success"
    waiting = api.run(queued)
    assert (waiting["state"], waiting["waiting_for"]) == (
        "WaitingForExecutor",
        "no online agent has label leased",
    )
    fleet.agent("fleet-b", [server], labels=["leased"])
    chain.b_pid(queued, 1)
    assert api.run(queued)["owner"] == "agent:fleet-b"
    chain.release(queued, 1)
    assert api.wait_final(queued)["state"] == "Success"
