"""`SqliteStore`: the default store, one file on this machine (`$XENE_HOME/xene.db`).

A transaction (see txn.py) runs whole on one connection. A writing one runs on the event
loop's own thread when it can take the write lock at once: a commit is then one call, not
a hop to the database thread and back, which was a fifth of a run of short shell tasks.
So does a read of a few rows (`_read_small`: a webhook's workflow) when the connection is
free. When another process holds the lock, and for every other read (a large one must
not hold up the loop), it runs on one dedicated database thread, which waits: the
connection waits for a lock (its busy timeout) only there, never on the loop's thread.
WAL lets other processes read while this one writes (`xene runs` beside `xene run`), and
writers wait for each other up to the busy timeout. `synchronous=NORMAL` in WAL mode is
durable against a crash of the process (a commit is in the WAL before `commit` returns);
a power cut may lose the last commits since the latest checkpoint (the WAL is fsynced at
checkpoints), never corrupt.
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from xene.store.sql import SqlStore
from xene.store.txn import Result, Stmt, Txn, drive

T = TypeVar("T")
BUSY_TIMEOUT_MS = 5000


class SqliteStore(SqlStore):
    dialect = "sqlite"

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.commit_returning = sqlite3.sqlite_version_info >= (3, 35)
        """A commit's run row is one UPDATE ... RETURNING, not five statements (each a
        release and retake of the GIL, which the spawning threads of steps want)."""
        self.path = Path(path).expanduser()
        self._conn: sqlite3.Connection | None = None
        self._closed = False
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="xene-sqlite")
        self._using = threading.RLock()
        """Held while a transaction uses the connection, on whichever thread it runs."""

    @classmethod
    def from_url(cls, url: str) -> SqliteStore:
        """`sqlite:////abs/path.db` (four slashes: the path is absolute) or `sqlite:///rel.db`."""
        if not url.startswith("sqlite:///") or url == "sqlite:///":
            raise ValueError(f"not a SQLite store URL: {url!r} (expected sqlite:///PATH)")
        return cls(url.removeprefix("sqlite:///"))

    async def _run(self, txn: Txn[T], *, write: bool, alone: bool = False) -> T:
        # `alone` changes nothing here: one transaction, whatever the statements.
        if write and not self._closed and self._using.acquire(blocking=False):
            try:
                conn = self._connection()
                if _begin_now(conn):
                    return _finish(conn, txn)
            finally:
                self._using.release()
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, self._transact, txn, write)

    async def _read_small(self, make: Callable[[], Txn[T]]) -> T:
        if not self._closed and self._using.acquire(blocking=False):
            try:
                conn = self._connection()
                conn.execute("BEGIN")
                return _finish(conn, make())
            except sqlite3.OperationalError as exc:  # WAL: only while another recovers it
                if not _busy(exc):
                    raise
            finally:
                self._using.release()
        return await self._run(make(), write=False)

    async def migrate(self) -> None:
        # A migration may rebuild a table (SQLite's way to change a constraint); with
        # foreign keys on, dropping the old table would delete every row referring to it.
        # The pragma is a no-op inside a transaction: it is set around it, in the same
        # hop to the database thread (a process's start pays one, not three).
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._migrate_unchecked, time.time())

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        await loop.run_in_executor(self._thread, self._close)
        self._thread.shutdown(wait=True)

    # -- on the database thread ---------------------------------------------------------
    def _transact(self, txn: Txn[T], write: bool) -> T:
        with self._using:
            conn = self._connection()
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")  # waits, here
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                return _finish(conn, txn)
            finally:
                conn.execute("PRAGMA busy_timeout = 0")

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            _create_private(self.path)
            conn = sqlite3.connect(
                self.path,
                timeout=BUSY_TIMEOUT_MS / 1000,
                isolation_level=None,
                check_same_thread=False,  # used by one thread at a time (`_using`)
            )
            conn.execute("PRAGMA journal_mode = WAL")  # waits (connect's timeout) if need be
            conn.execute("PRAGMA synchronous = NORMAL")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA busy_timeout = 0")  # waiting is for _transact alone
            self._conn = conn
        return self._conn

    def _migrate_unchecked(self, now: float) -> None:
        with self._using:
            self._foreign_keys(False)
            try:
                self._transact(self._migrate(now), True)
            finally:
                self._foreign_keys(True)

    def _foreign_keys(self, on: bool) -> None:
        self._connection().execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")

    def _close(self) -> None:
        with self._using:
            self._close_unlocked()

    def _close_unlocked(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _create_private(path: Path) -> None:
    """A new database file is readable by its owner only (0600): it holds run records
    and secrets' ciphertext. SQLite gives its -wal and -shm files the same mode. An
    existing file is left as it is."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    os.close(fd)


def _begin_now(conn: sqlite3.Connection) -> bool:
    """Take the write lock if no other process holds it; never wait for it (outside
    `_transact`, the connection's busy timeout is 0)."""
    try:
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError as exc:
        if _busy(exc):
            return False
        raise
    return True


def _busy(exc: sqlite3.OperationalError) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


def _finish(conn: sqlite3.Connection, txn: Txn[T]) -> T:
    """Run a begun transaction to its COMMIT, or roll it back if it raises."""
    try:
        value = drive(txn, lambda stmt: _execute(conn, stmt))
    except BaseException:
        if conn.in_transaction:  # SQLite may have rolled back already
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")
    return value


def _execute(conn: sqlite3.Connection, stmt: Stmt) -> Result:
    if stmt.many:
        cursor = conn.executemany(stmt.sql, stmt.params or ())
        return Result(rowcount=cursor.rowcount)
    cursor = conn.execute(stmt.sql, stmt.params or ())  # sqlite3 has no % escapes
    return Result(cursor.fetchall(), cursor.rowcount)
