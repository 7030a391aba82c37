"""Agents operations of the SQL stores (`AgentStore`, migration 0012)."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from xene.store.agents import AgentRecord
from xene.store.txn import Stmt, Txn

T = TypeVar("T")
Queries = Mapping[str, str]
COLUMNS = "name, labels, capacity, version, host, registered_at, heartbeat_at, running, draining"


def register_agent(q: Queries, agent: AgentRecord) -> Txn[None]:
    yield Stmt(
        q["register_agent"],
        (
            agent.name, json.dumps(list(agent.labels)), agent.capacity, agent.version,
            agent.host, agent.registered_at, agent.heartbeat_at, agent.running,
            int(agent.draining),
        ),
    )  # fmt: skip


def heartbeat_agent(
    q: Queries, name: str, running: int, draining: bool, at: float
) -> Txn[AgentRecord | None]:
    yield Stmt(q["heartbeat_agent"], (at, running, int(draining), name))
    return (yield from get_agent(q, name))


def get_agent(q: Queries, name: str) -> Txn[AgentRecord | None]:
    found = yield Stmt(q["get_agent"], (name,))
    return _record(found.rows[0]) if found.rows else None


def list_agents(q: Queries) -> Txn[list[AgentRecord]]:
    found = yield Stmt(q["list_agents"])
    return [_record(row) for row in found.rows]


def drain_agent(q: Queries, name: str) -> Txn[bool]:
    found = yield Stmt(q["drain_agent"], (name,))
    return bool(found.rowcount)


def forget_agent(q: Queries, name: str) -> Txn[bool]:
    found = yield Stmt(q["forget_agent"], (name,))
    return bool(found.rowcount)


def _record(row: Sequence[Any]) -> AgentRecord:
    name, labels, capacity, version, host, registered, heartbeat, running, draining = row
    return AgentRecord(
        str(name), tuple(json.loads(labels)), int(capacity), str(version), str(host),
        float(registered), float(heartbeat), int(running), bool(draining),
    )  # fmt: skip


class SqlAgentOps:
    """Mixed into `SqlStore`, which gives `_q` and `_run`."""

    _q: Queries

    async def _run(self, txn: Txn[T], *, write: bool) -> T:
        raise NotImplementedError  # SqlStore's subclasses run transactions

    async def register_agent(self, agent: AgentRecord) -> None:
        await self._run(register_agent(self._q, agent), write=True)

    async def heartbeat_agent(
        self, name: str, running: int, draining: bool, at: float
    ) -> AgentRecord | None:
        return await self._run(heartbeat_agent(self._q, name, running, draining, at), write=True)

    async def get_agent(self, name: str) -> AgentRecord | None:
        return await self._run(get_agent(self._q, name), write=False)

    async def list_agents(self) -> list[AgentRecord]:
        return await self._run(list_agents(self._q), write=False)

    async def drain_agent(self, name: str) -> bool:
        return await self._run(drain_agent(self._q, name), write=True)

    async def forget_agent(self, name: str) -> bool:
        return await self._run(forget_agent(self._q, name), write=True)
