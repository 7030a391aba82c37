"""Transactions as generators: the shared SQL logic, free of any driver.

A transaction is a generator that yields `Stmt`s and receives each one's `Result`. The
SQLite store drives it on its database thread, the PostgreSQL store on one of its
threads, in one hop from the event loop (`drive`). So one piece of logic serves both,
and a commit costs a single thread hop whatever the number of statements.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import field
from typing import Any, TypeAlias, TypeVar

from xene.frozen import frozen

T = TypeVar("T")
Row: TypeAlias = tuple[Any, ...]


@frozen
class Stmt:
    """One SQL statement of a transaction, with its parameters."""

    sql: str
    params: Sequence[Any] | None = ()
    """One row of parameters; with `many`, a sequence of rows (one executemany); None
    for a statement taken as it is (a migration's: no placeholders, `%` literal)."""
    many: bool = False


@frozen
class Result:
    """What a statement gave back: its rows and how many rows it changed."""

    rows: list[Row] = field(default_factory=list)
    rowcount: int = 0

    @property
    def scalar(self) -> Any:
        """The first column of the first row."""
        return self.rows[0][0]


Txn: TypeAlias = Generator[Stmt, Result, T]


def drive(txn: Txn[T], execute: Callable[[Stmt], Result]) -> T:
    """Run a transaction's statements with a blocking `execute`; return its value."""
    try:
        stmt = next(txn)
        while True:
            stmt = txn.send(execute(stmt))
    except StopIteration as stop:
        value: T = stop.value
        return value
    finally:
        txn.close()
