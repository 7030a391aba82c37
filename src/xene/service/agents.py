"""Agents: register, heartbeat, drain, forget, and what state each is in. The same for the
agent routes of the API, `xene agents` and `xene agent drain|forget` (through the API).

An agent is `online` while its heartbeats come within the lease (`ServerConfig.lease_s`),
`draining` once asked to take no new runs (or it drains of its own accord, on SIGTERM),
and `lost` when its last heartbeat is older than the lease: its runs are then queued
for another agent.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from enum import StrEnum

from xene import labels
from xene.frozen import frozen
from xene.service.errors import Conflict, NotFound
from xene.store.agents import AgentRecord, AgentStore

MAX_CAPACITY = 1000


class AgentState(StrEnum):
    ONLINE = "online"
    DRAINING = "draining"
    LOST = "lost"


@frozen
class AgentView:
    """An agent as `xene agents` and `GET /api/v1/agents` show it."""

    record: AgentRecord
    state: AgentState
    seen_s_ago: float


@frozen
class Offer:
    """What an agent says of itself when it registers."""

    name: str
    labels: tuple[str, ...]
    capacity: int
    version: str
    host: str


def state(agent: AgentRecord, now: float, lease_s: float) -> AgentState:
    if now - agent.heartbeat_at > lease_s:
        return AgentState.LOST
    return AgentState.DRAINING if agent.draining else AgentState.ONLINE


def check_labels(offered: Sequence[str]) -> tuple[str, ...]:
    """The labels, sorted, each once; Conflict naming a bad one."""
    trouble = labels.problem(offered)
    if trouble:
        raise Conflict(f"an agent's {trouble}" if trouble.startswith("at most") else trouble)
    return labels.canonical(offered)


def identity(certified: str, offered: str) -> str:
    """The agent's name: its certificate's (or agent token's), which an offered name must
    equal; with neither (auth off), the offered one."""
    if certified and offered and offered != certified:
        raise Conflict(
            f"this agent's certificate (or token) names it {certified!r}, not {offered!r}: "
            "leave --name out, or issue a certificate for that name (xene certs agent NAME)"
        )
    name = certified or offered
    if not name:
        raise Conflict("name the agent (--name NAME): without auth nothing else names it")
    return name


async def register(store: AgentStore, certified: str, offer: Offer, now: float) -> AgentRecord:
    """Record the agent as it is now (a restart registers again, clearing a drain)."""
    if not 1 <= offer.capacity <= MAX_CAPACITY:
        raise Conflict(f"capacity must be 1 to {MAX_CAPACITY} runs at once, not {offer.capacity}")
    record = AgentRecord(
        name=identity(certified, offer.name),
        labels=check_labels(offer.labels),
        capacity=offer.capacity,
        version=offer.version,
        host=offer.host,
        registered_at=now,
        heartbeat_at=now,
    )
    await store.register_agent(record)
    return record


async def heartbeat(
    store: AgentStore, name: str, running: int, draining: bool, now: float
) -> AgentRecord:
    """Record a heartbeat; NotFound for an agent not registered (it must register)."""
    record = await store.heartbeat_agent(name, running, draining, now)
    if record is None:
        raise NotFound(f"agent {name!r} is not registered (forgotten?): register again")
    return record


async def listed(store: AgentStore, now: float, lease_s: float) -> list[AgentView]:
    return [view(agent, now, lease_s) for agent in await store.list_agents()]


def view(agent: AgentRecord, now: float, lease_s: float) -> AgentView:
    return AgentView(agent, state(agent, now, lease_s), max(now - agent.heartbeat_at, 0.0))


async def drain(store: AgentStore, name: str, now: float, lease_s: float) -> AgentView:
    """Ask the agent to take no new runs (its running ones finish)."""
    if not await store.drain_agent(name):
        raise NotFound(await _unknown(store, name))
    agent = await store.get_agent(name)
    if agent is None:  # forgotten meanwhile
        raise NotFound(await _unknown(store, name))
    return view(replace(agent, draining=True), now, lease_s)


async def forget(store: AgentStore, name: str) -> None:
    """Drop the agent's record (an agent still running registers again)."""
    if not await store.forget_agent(name):
        raise NotFound(await _unknown(store, name))


async def _unknown(store: AgentStore, name: str) -> str:
    known = ", ".join(a.name for a in await store.list_agents()) or "none"
    return f"no agent {name!r}; agents known: {known}"


def why_waiting(needed: Sequence[str], fleet: Sequence[AgentView]) -> str | None:
    """Why a queued run needing the labels `needed` is not taken, from the agents known
    (None: some agent can take it now; it will, at its next claim)."""
    online = [view for view in fleet if view.state is AgentState.ONLINE]
    able = [view for view in online if labels.satisfies(view.record.labels, needed)]
    if not able:
        if not needed:
            return "no agent is online to run it"
        words = "label " + needed[0] if len(needed) == 1 else "labels " + ", ".join(needed)
        return f"no online agent has {words}"
    if all(view.record.running >= view.record.capacity for view in able):
        busy = ", ".join(f"{v.record.name} ({v.record.running}/{v.record.capacity})" for v in able)
        return f"every agent that can run it is busy: {busy}"
    return None


async def waiting_for(
    store: AgentStore, needed: Sequence[str], now: float, lease_s: float
) -> str | None:
    """`why_waiting`, with the agents as the store knows them now."""
    return why_waiting(needed, await listed(store, now, lease_s))


async def waiting_reasons(
    store: AgentStore, needed: Mapping[str, Sequence[str]], now: float, lease_s: float
) -> dict[str, str]:
    """`why_waiting` for each queued run (its id -> the labels it needs), with one read
    of the agents; a run some agent can take now is left out."""
    if not needed:
        return {}
    fleet = await listed(store, now, lease_s)
    reasons = {run_id: why_waiting(labels, fleet) for run_id, labels in needed.items()}
    return {run_id: why for run_id, why in reasons.items() if why}
