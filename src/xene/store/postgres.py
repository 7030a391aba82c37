"""`PostgresStore`: one database shared by any number of Xene processes and machines.

psycopg 3, async, through a connection pool (1 to 10 connections). psycopg is imported
only when a store is opened: `import xene.store` works without the `postgres` extra.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from xene.store import wakeups
from xene.store.sql import SqlStore
from xene.store.txn import Result, Stmt, Txn, adrive

if TYPE_CHECKING:
    from psycopg import AsyncConnection, AsyncCursor
    from psycopg_pool import AsyncConnectionPool

T = TypeVar("T")
POOL_MIN, POOL_MAX = 1, 10
CONNECT_TIMEOUT_S = 10


class PostgresStore(SqlStore):
    dialect = "postgres"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._pool: AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]] | None = None
        self._opening = asyncio.Lock()
        self.wakeups = wakeups.PgWakeups(url)
        """LISTENs on a connection of its own (not the pool's) once someone waits."""

    async def open(self) -> None:
        """Open the pool (done by `migrate` and the first call, if not before)."""
        async with self._opening:
            if self._pool is None:
                self._pool = await self._open_pool()

    async def _open_pool(self) -> AsyncConnectionPool[AsyncConnection[tuple[Any, ...]]]:
        from xene.extras import require

        for module in ("psycopg", "psycopg_pool"):  # not installed: say which extra
            require(module, "the PostgreSQL store")
        from psycopg import AsyncConnection
        from psycopg_pool import AsyncConnectionPool

        # One plain connection first: a server that is not there is the driver's clear
        # error at once, where the pool would retry until its timeout.
        timeout: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
        if "connect_timeout" in self.url:
            timeout = {}
        probe = await AsyncConnection.connect(self.url, **timeout)
        await probe.close()
        pool = AsyncConnectionPool(
            self.url,
            min_size=POOL_MIN,
            max_size=POOL_MAX,
            kwargs={"autocommit": True, **timeout},
            open=False,
        )
        await pool.open(wait=True)
        return pool

    async def close(self) -> None:
        await self.wakeups.close()
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()

    def _notify(self, wakes: Sequence[wakeups.Wake]) -> Stmt:
        return Stmt(*wakeups.notify_sql(wakes))

    async def _run(self, txn: Txn[T], *, write: bool) -> T:
        if self._pool is None:
            await self.open()
        assert self._pool is not None
        async with self._pool.connection() as conn, conn.transaction():
            cursor = conn.cursor()
            return await adrive(txn, lambda stmt: _execute(cursor, stmt))


async def _execute(cursor: AsyncCursor[tuple[Any, ...]], stmt: Stmt) -> Result:
    # Not pipelined: with psycopg 3.3, pipeline mode made a commit slower here (about
    # 630 us against 510 us for BEGIN, one read, one write and COMMIT on a local server).
    if not stmt.many:
        await cursor.execute(stmt.sql, stmt.params)
    elif len(params := list(stmt.params or ())) == 1:
        await cursor.execute(stmt.sql, params[0])  # cheaper than executemany's pipeline
    else:
        await cursor.executemany(stmt.sql, params)
    rows = await cursor.fetchall() if cursor.description else []
    return Result(rows, cursor.rowcount)
