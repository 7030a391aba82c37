"""Why a queued run waits, from the agents known: pure, no store."""

from __future__ import annotations

from xene.service.agents import AgentState, AgentView, why_waiting
from xene.store.agents import AgentRecord

AT = 1_700_000_000.0


def agent(
    name: str, *labels: str, running: int = 0, state: AgentState = AgentState.ONLINE
) -> AgentView:
    record = AgentRecord(name, labels, 2, "0.1", "h", AT, AT, running=running)
    return AgentView(record, state, 0.0)


def test_a_run_some_free_agent_can_take_does_not_wait_for_a_reason() -> None:
    assert why_waiting((), [agent("a")]) is None
    assert why_waiting(("gpu",), [agent("a"), agent("g", "gpu")]) is None


def test_no_agent_online() -> None:
    assert why_waiting((), []) == "no agent is online to run it"
    assert why_waiting((), [agent("a", state=AgentState.LOST)]) == "no agent is online to run it"


def test_no_online_agent_has_the_labels() -> None:
    fleet = [agent("a", "gpu"), agent("g", "gpu", "os=linux", state=AgentState.LOST)]
    assert why_waiting(("gpu", "os=linux"), fleet) == "no online agent has labels gpu, os=linux"
    assert why_waiting(("arm",), fleet) == "no online agent has label arm"


def test_a_draining_agent_takes_nothing() -> None:
    fleet = [agent("g", "gpu", state=AgentState.DRAINING)]
    assert why_waiting(("gpu",), fleet) == "no online agent has label gpu"


def test_every_able_agent_busy() -> None:
    fleet = [agent("g1", "gpu", running=2), agent("g2", "gpu", running=2), agent("c")]
    assert why_waiting(("gpu",), fleet) == "every agent that can run it is busy: g1 (2/2), g2 (2/2)"
