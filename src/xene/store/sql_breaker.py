"""Circuit-breaker operations of the SQL stores (`ServerStore`): kept on each pipeline's
mode row (migration 0006), so forgetting a workflow forgets its breakers too."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from xene.core.states import State
from xene.store import rows
from xene.store.base import BreakerState
from xene.store.txn import Stmt, Txn

T = TypeVar("T")
Queries = Mapping[str, str]


def breaker_states(q: Queries, workflow: str) -> Txn[dict[str, BreakerState]]:
    found = yield Stmt(q["breaker_states"], (workflow,))
    return {
        str(pipeline): BreakerState(
            str(reason), None if tripped is None else float(tripped), float(armed)
        )
        for pipeline, reason, tripped, armed in found.rows
    }


def trip_breaker(q: Queries, workflow: str, pipeline: str, reason: str, at: float) -> Txn[bool]:
    done = yield Stmt(q["trip_breaker"], (workflow, pipeline, reason, at))
    return done.rowcount == 1


def resume_pipeline(q: Queries, workflow: str, pipeline: str, at: float) -> Txn[None]:
    yield Stmt(q["resume_pipeline"], (workflow, pipeline, at))


def recent_outcomes(
    q: Queries, workflow: str, pipeline: str, since: float, limit: int
) -> Txn[list[State]]:
    found = yield Stmt(q["recent_outcomes"], (workflow, pipeline, since, limit))
    return rows.db_states(found.rows)


class SqlBreakerOps:
    """Mixed into `SqlStore`, which gives `_q` and `_run`."""

    _q: Queries

    async def _run(self, txn: Txn[T], *, write: bool) -> T:
        raise NotImplementedError  # SqlStore's subclasses run transactions

    async def breaker_states(self, workflow: str) -> dict[str, BreakerState]:
        return await self._run(breaker_states(self._q, workflow), write=False)

    async def trip_breaker(self, workflow: str, pipeline: str, reason: str, at: float) -> bool:
        txn = trip_breaker(self._q, workflow, pipeline, reason, at)
        return await self._run(txn, write=True)

    async def resume_pipeline(self, workflow: str, pipeline: str, at: float) -> None:
        await self._run(resume_pipeline(self._q, workflow, pipeline, at), write=True)

    async def recent_outcomes(
        self, workflow: str, pipeline: str, since: float, limit: int
    ) -> list[State]:
        txn = recent_outcomes(self._q, workflow, pipeline, since, limit)
        return await self._run(txn, write=False)
