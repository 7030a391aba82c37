"""Leases with fencing: an agent that dies or freezes loses its runs when the lease ends,
another agent resumes them (finished nodes not re-run, the one in flight re-run with a
higher XENE_ATTEMPT), and the frozen one's late writes are refused."""

from __future__ import annotations

import pytest

from tests.fleet.chain import holder, two_agents
from tests.fleet.conftest import Fleet
from tests.fleet.harness import gone, node, outcome, until

pytestmark = pytest.mark.slow
LEASE_S = 2.0


def test_a_killed_agents_run_finishes_on_another_without_re_running_finished_nodes(
    fleet: Fleet,
) -> None:
    api, chain, agents = two_agents(fleet, LEASE_S)
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
    api, chain, agents = two_agents(fleet, LEASE_S)
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
    assert run["state"] == "Success", (run["error"], chain.effects(run_id))
    # Each attempt starts once: a claim the frozen agent's long poll got is confirmed
    # before anything of it runs (a server hands a lost agent nothing, anyway).
    assert chain.effects(run_id) == ["a 1", "b start 1", "b start 2", "b done 2", "c 1"]
    late = [line for line in api.log_lines(run_id) if line.startswith("b 1 ")]
    assert late == before, "the frozen agent's late output was refused"
    assert frozen.alive(), "the fenced agent drops the run, not its life"
    assert gone(second)
    assert api.metric("xene_lease_expiries_total") == 1
