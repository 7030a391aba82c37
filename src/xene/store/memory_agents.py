"""Agents operations of `MemoryStore` (`AgentStore`)."""

from __future__ import annotations

from dataclasses import replace

from xene.store.agents import AgentRecord


class MemoryAgentOps:
    """Mixed into `MemoryStore`, whose `__init__` makes `_agents`."""

    _agents: dict[str, AgentRecord]

    async def register_agent(self, agent: AgentRecord) -> None:
        self._agents[agent.name] = agent

    async def heartbeat_agent(
        self, name: str, running: int, draining: bool, at: float
    ) -> AgentRecord | None:
        known = self._agents.get(name)
        if known is None:
            return None
        now = replace(known, heartbeat_at=at, running=running, draining=known.draining or draining)
        self._agents[name] = now
        return now

    async def get_agent(self, name: str) -> AgentRecord | None:
        return self._agents.get(name)

    async def list_agents(self) -> list[AgentRecord]:
        return [self._agents[name] for name in sorted(self._agents)]

    async def drain_agent(self, name: str) -> bool:
        known = self._agents.get(name)
        if known is not None:
            self._agents[name] = replace(known, draining=True)
        return known is not None

    async def forget_agent(self, name: str) -> bool:
        return self._agents.pop(name, None) is not None
