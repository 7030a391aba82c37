"""Back-pressure operations of the SQL stores (`PressureStore`, migration 0009)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

from xene.store.pressure import SkippedFire
from xene.store.txn import Stmt, Txn

T = TypeVar("T")
Queries = Mapping[str, str]


def count_queued(q: Queries) -> Txn[int]:
    found = yield Stmt(q["count_queued"])
    return int(found.scalar or 0)


def record_skipped_fire(
    q: Queries, workflow: str, trigger: str, reason: str, at: float
) -> Txn[None]:
    yield Stmt(q["record_skipped_fire"], (workflow, trigger, at, reason))


def skipped_fires(q: Queries, workflow: str) -> Txn[list[SkippedFire]]:
    found = yield Stmt(q["skipped_fires"], (workflow,))
    return [
        SkippedFire(workflow, str(trigger), float(at), str(reason), int(count))
        for trigger, at, reason, count in found.rows
    ]


class SqlPressureOps:
    """Mixed into `SqlStore`, which gives `_q` and `_run`."""

    _q: Queries

    async def _run(self, txn: Txn[T], *, write: bool) -> T:
        raise NotImplementedError  # SqlStore's subclasses run transactions

    async def count_queued(self) -> int:
        return await self._run(count_queued(self._q), write=False)

    async def record_skipped_fire(
        self, workflow: str, trigger: str, reason: str, at: float
    ) -> None:
        txn = record_skipped_fire(self._q, workflow, trigger, reason, at)
        await self._run(txn, write=True)

    async def skipped_fires(self, workflow: str) -> list[SkippedFire]:
        return await self._run(skipped_fires(self._q, workflow), write=False)
