"""The agents a server knows (part of `ServerStore`): each one's last registration and
heartbeat, and whether it was asked to drain.

An agent registers when it starts (again after a restart, which clears a drain) and
heartbeats every few seconds; whether it is online, draining or lost is worked out from
its last heartbeat by the service (service/agents.py), not stored.
"""

from __future__ import annotations

from typing import Protocol

from xene.frozen import frozen


@frozen
class AgentRecord:
    name: str
    """From its client certificate's common name, or its agent token's name."""
    labels: tuple[str, ...]
    """What it offers (`gpu`, `linux`): a run needing labels goes to an agent with all."""
    capacity: int
    """Runs it executes at once."""
    version: str
    host: str
    registered_at: float
    heartbeat_at: float
    running: int = 0
    """Runs it held at its last heartbeat."""
    draining: bool = False
    """Asked to take no new runs (`xene agent drain`, or its own SIGTERM)."""


class AgentStore(Protocol):
    """The agents operations of a store (part of `ServerStore`)."""

    async def register_agent(self, agent: AgentRecord) -> None:
        """Create or replace the agent's record."""

    async def heartbeat_agent(
        self, name: str, running: int, draining: bool, at: float
    ) -> AgentRecord | None:
        """Record a heartbeat: when, how many runs it holds, and whether it drains of its
        own accord (a drain asked of it stays). The record as it now is; None for an
        agent not registered (forgotten meanwhile: it must register again)."""

    async def get_agent(self, name: str) -> AgentRecord | None: ...

    async def list_agents(self) -> list[AgentRecord]:
        """By name."""

    async def drain_agent(self, name: str) -> bool:
        """Ask the agent to take no new runs; False if unknown."""

    async def forget_agent(self, name: str) -> bool:
        """Delete the record; False if unknown. An agent still running registers again."""
