"""`PostgresStore`: one database shared by any number of Xene processes and machines.

psycopg 3 through a connection pool (1 to 10 connections). A transaction (txn.py) runs
whole on one of the store's threads, each statement a blocking call, as SQLite's do: a
statement costs this process about 25 µs of CPU there, against 130 to 200 µs through
psycopg's asyncio interface (which waits on the event loop for every round trip), and a
transaction one thread hop. A run's commit is one statement, and many rows go as
columns (pg_batch.py). psycopg is imported only when a store is opened: `import
xene.store` works without the `postgres` extra.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeAlias, TypeVar

from xene.store import pg_batch, sql_runs, wakeups
from xene.store.base import Batch, NewRun
from xene.store.sql import SqlStore
from xene.store.txn import Result, Stmt, Txn, drive

if TYPE_CHECKING:
    from psycopg import Connection, Cursor
    from psycopg_pool import ConnectionPool

    Pool: TypeAlias = ConnectionPool[Connection[tuple[Any, ...]]]

T = TypeVar("T")
POOL_MIN, POOL_MAX = 1, 10
CONNECT_TIMEOUT_S = 10
NEW_RUNS = 1024


class PostgresStore(SqlStore):
    dialect = "postgres"

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._pool: Pool | None = None
        self._threads: ThreadPoolExecutor | None = None
        """One per pooled connection: a transaction holds both until it ends."""
        self._opening = asyncio.Lock()
        self._wakeups = wakeups.PgWakeups(url, self._send)
        """LISTENs on a connection of its own (not the pool's) once someone waits."""
        self.wakeups = self._wakeups
        self._read_committed = False
        """The server's default isolation is READ COMMITTED (PostgreSQL's default)."""
        self._columns = pg_batch.columnar(self._q)
        self._committer = pg_batch.Committer.load(self._q, self._columns)
        self._new_runs: dict[str, bool] = {}
        """Runs created here whose nodes none has committed yet, as far as this store
        knows (`_remember_new`); oldest first."""

    async def open(self) -> None:
        """Open the pool (done by `migrate` and the first call, if not before)."""
        async with self._opening:
            if self._pool is None:
                threads = ThreadPoolExecutor(POOL_MAX, thread_name_prefix="xene-postgres")
                try:
                    loop = asyncio.get_running_loop()
                    self._pool = await loop.run_in_executor(threads, self._open_pool)
                except BaseException:
                    threads.shutdown(wait=False)
                    raise
                self._threads = threads

    def _open_pool(self) -> Pool:
        from xene.extras import require

        for module in ("psycopg", "psycopg_pool"):  # not installed: say which extra
            require(module, "the PostgreSQL store")
        import psycopg
        from psycopg_pool import ConnectionPool

        # One plain connection first: a server that is not there is the driver's clear
        # error at once, where the pool would retry until its timeout.
        timeout: dict[str, Any] = {"connect_timeout": CONNECT_TIMEOUT_S}
        if "connect_timeout" in self.url:
            timeout = {}
        with psycopg.connect(self.url, **timeout) as probe:
            row = probe.execute("SHOW default_transaction_isolation").fetchone()
            self._read_committed = row is not None and row[0] == "read committed"
        pool: Pool = ConnectionPool(
            self.url,
            min_size=POOL_MIN,
            max_size=POOL_MAX,
            kwargs={"autocommit": True, **timeout},
            open=False,
        )
        pool.open(wait=True)
        return pool

    async def close(self) -> None:
        await self.wakeups.close()
        if self._pool is not None and self._threads is not None:
            pool, self._pool = self._pool, None
            threads, self._threads = self._threads, None
            await asyncio.to_thread(threads.shutdown, True)  # what was asked ends first
            await asyncio.to_thread(pool.close)

    async def create_run(self, run: NewRun) -> tuple[str, bool]:
        wakes = wakeups.created(run)
        txn = pg_batch.notifying_insert(
            sql_runs.create_run(self._q, run), self._notified_within(wakes)
        )
        # alone: the insert creates the run or nothing; only then is it looked up by key.
        # A run with labels is one transaction: no claimer sees it without them.
        created = await self._run(txn, write=True, alone=not run.labels)
        if created[1]:
            self._remember_new(run.id)
            self._committed(wakes)
        return created

    def _remember_new(self, run_id: str) -> None:
        """A run created here has no nodes: its first commit may insert them (a guess,
        for the last NEW_RUNS runs created; a wrong one costs a statement more)."""
        self._new_runs[run_id] = True
        if len(self._new_runs) > NEW_RUNS:
            del self._new_runs[next(iter(self._new_runs))]

    async def commit(self, run_id: str, batch: Batch) -> None:
        new = bool(batch.nodes) and self._new_runs.pop(run_id, False)
        if not (batch and self.returning and self._committer.fits(batch)):
            await super().commit(run_id, batch)
            return
        wakes = wakeups.committed(run_id, batch)
        notified = self._notified_within(wakes)
        try:
            txn = self._committer.commit(run_id, batch, notified, new=new)
            await self._run(txn, write=True, alone=True)  # one statement
        except Exception as error:
            if not (new and _is_unique_violation(error)):
                raise
            # Another process committed some of these nodes since: upsert them.
            await self._run(self._committer.commit(run_id, batch, notified), write=True, alone=True)
        if wakes:
            self._committed(wakes)

    def _notify(self, wakes: Sequence[wakeups.Wake]) -> Stmt | None:
        now = self._notified_within(wakes)
        return Stmt(*wakeups.notify_sql(now)) if now else None

    def _notified_within(self, wakes: Sequence[wakeups.Wake]) -> list[wakeups.Wake]:
        """The wakes NOTIFYed within their transaction. A process that does not listen
        (`xene run`) cannot hear whether anyone watches its changes: it notifies them
        all, one statement more rather than a transaction more after each commit. One
        that listens (a server) sends the others after, together, while someone watches."""
        deaf = not self._wakeups.listening
        return [w for w in wakes if w[0] in wakeups.IN_TRANSACTION or deaf]

    def _committed(self, wakes: Sequence[wakeups.Wake]) -> None:
        later = [wake for wake in wakes if wake[0] not in wakeups.IN_TRANSACTION]
        if later and self._wakeups.listening and self._wakeups.watched:
            self._wakeups.send_soon(later)

    async def _send(self, wakes: Sequence[tuple[str, str]]) -> None:
        await self._run(_notifying(wakes), write=True)

    async def _run(self, txn: Txn[T], *, write: bool, alone: bool = False) -> T:
        if self._pool is None:
            await self.open()
        assert self._pool is not None
        assert self._threads is not None
        # In READ COMMITTED each statement reads its own snapshot, in a transaction block
        # or not: a block around reads (or around statements that each stand alone)
        # would isolate nothing and cost two round trips, BEGIN and COMMIT.
        block = (write and not alone) or not self._read_committed
        loop = asyncio.get_running_loop()
        pool, columns = self._pool, self._columns
        return await loop.run_in_executor(self._threads, _transact, pool, columns, txn, block)


def _notifying(wakes: Sequence[tuple[str, str]]) -> Txn[None]:
    # A transaction that only notifies need not wait for its commit to be flushed: no
    # data depends on it, and it holds PostgreSQL's notification lock meanwhile.
    yield Stmt("SET LOCAL synchronous_commit TO off")
    yield Stmt(*wakeups.notify_sql(wakes))


def _transact(pool: Pool, columns: Mapping[str, pg_batch.Columns], txn: Txn[T], block: bool) -> T:
    """On a store thread: the whole transaction on one pooled connection."""
    with pool.connection() as conn:
        cursor = conn.cursor()
        if not block:
            return drive(txn, lambda stmt: _execute(cursor, columns, stmt))
        with conn.transaction():
            return drive(txn, lambda stmt: _execute(cursor, columns, stmt))


def _execute(
    cursor: Cursor[tuple[Any, ...]], columns: Mapping[str, pg_batch.Columns], stmt: Stmt
) -> Result:
    # Not pipelined: with psycopg 3.3, pipeline mode made a commit slower here (about
    # 630 us against 510 us for BEGIN, one read, one write and COMMIT on a local server).
    if not stmt.many:
        cursor.execute(stmt.sql, stmt.params)
    elif len(params := list(stmt.params or ())) == 1:
        cursor.execute(stmt.sql, params[0])  # cheaper than executemany's pipeline
    elif (form := columns.get(stmt.sql)) is not None:
        cursor.execute(form.sql, form.arrays(params))
    else:
        cursor.executemany(stmt.sql, params)
    rows = cursor.fetchall() if cursor.description else []
    return Result(rows, cursor.rowcount)


def _is_unique_violation(error: Exception) -> bool:
    return getattr(error, "sqlstate", None) == "23505"
