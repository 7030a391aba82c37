"""PostgreSQL's writes of many rows: columnar statements, and a commit in one statement.

A statement given many rows (a commit's nodes, steps, log chunks) runs once as its
columnar form (queries/postgres_columns.sql): one array per column, sent in binary, not
once per row. A run's commit (`commit`) goes further: the run row's update, the nodes,
steps and log chunks and the NOTIFYs in one statement (queries/postgres_commit.sql),
atomic on its own, one round trip where the shared transaction (sql_runs.commit) makes
five with BEGIN and COMMIT; a round trip waits for this process to be scheduled again,
which on a busy machine costs more than the statement. The nodes of a run the store
has just created (`new`) are inserted; others are inserted or upserted as the run had
nodes or not, decided in the statement. A batch with progress or approvals (a split's
count, a suspension: rare) is committed the shared way.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeVar

from xene.frozen import frozen
from xene.store import sql_runs, sqlfiles, wakeups
from xene.store.base import Batch
from xene.store.txn import Result, Stmt, Txn

T = TypeVar("T")

_CAST = re.compile(r"%b::(\w+)(\[\])?")


@frozen
class Columns:
    """The columnar form of a statement: one array per column, sent in binary."""

    sql: str
    floats: tuple[int, ...]
    """The columns cast to float8: sent as floats, whatever number a row holds (a list
    mixing ints and floats has no binary form)."""
    by_run: bool = False
    """The first column, the run's id, is sent once (a scalar, not an array): every row
    is of one run, whose run_key the statement looks up once."""

    def arrays(self, rows: Sequence[Sequence[Any]]) -> list[Any]:
        columns: list[Any] = [list(column) for column in zip(*rows, strict=True)]
        for i in self.floats:
            columns[i] = [v if v is None else float(v) for v in columns[i]]
        if self.by_run and columns:
            if len(runs := set(columns[0])) != 1:
                raise ValueError(f"rows of one run expected, got {sorted(runs)}")
            columns[0] = columns[0][0]
        return columns


def _blocks(name: str) -> dict[str, str]:
    """A PostgreSQL-only query file's blocks, each `?` a parameter sent in binary."""
    text = (sqlfiles.HERE / "queries" / name).read_text()
    return {
        k: v.replace("%", "%%").replace("?", "%b") for k, v in sqlfiles.parse_blocks(text).items()
    }


def columnar(q: Mapping[str, str]) -> dict[str, Columns]:
    """The columnar form of each statement that has one, by the text of its row form."""
    found = {}
    for name, sql in _blocks("postgres_columns.sql").items():
        casts = _CAST.findall(sql)
        floats = tuple(i for i, (cast, _) in enumerate(casts) if cast == "float8")
        found[q[name]] = Columns(sql, floats, by_run=not casts[0][1])
    return found


@frozen
class Committer:
    """Builds a run's commit as one statement."""

    q: Mapping[str, str]
    columns: Mapping[str, Columns]
    parts: Mapping[str, str]

    @classmethod
    def load(cls, q: Mapping[str, str], columns: Mapping[str, Columns]) -> Committer:
        return cls(q, columns, _blocks("postgres_commit.sql"))

    @staticmethod
    def fits(batch: Batch) -> bool:
        return not (batch.progress or batch.approvals)

    def commit(
        self, run_id: str, batch: Batch, wakes: Sequence[wakeups.Wake], *, new: bool = False
    ) -> Txn[None]:
        """Raises KeyError for an unknown run and Fenced for a batch of another epoch
        (and changes nothing); a duplicate changes nothing either. `new`: the run is
        thought to have no nodes yet (its nodes are inserted, not upserted: a node
        committed meanwhile fails the statement, which then writes nothing)."""
        run = sql_runs.run_update(self.q, run_id, batch)
        items, params = [f"r AS ({run.sql})"], [*(run.params or ())]
        for part, values in self._parts(run_id, batch, new):
            items.append(self.parts[part])
            params += values
        calls, notified = notify_calls(wakes)
        sql = "WITH " + ",\n".join(items) + f"\nSELECT r.node_ords{calls} FROM r"
        params += notified
        if not (yield Stmt(sql, params)).rows:  # gone, fenced or a duplicate: one read
            yield from sql_runs.fence_check(self.q, run_id, batch)

    def _parts(self, run_id: str, batch: Batch, new: bool) -> list[tuple[str, list[Any]]]:
        """The parts after `r` the batch needs, each with its parameters."""
        found: list[tuple[str, list[Any]]] = []
        # The run's id is not sent: node and log rows take the run_key `r` returns.
        if nodes := batch.nodes:
            rows = [sql_runs.node_params(run_id, i, n) for i, n in enumerate(nodes, 1)]
            arrays = self.columns[self.q["insert_node"]].arrays(rows)[1:]
            counts = [len(nodes)] if new else [len(nodes), len(nodes)]
            found.append(("new_nodes" if new else "nodes", [*counts, *arrays]))
        if batch.steps:
            rows = [sql_runs.step_params(run_id, s) for s in batch.steps]
            found.append(("steps", self.columns[self.q["upsert_step"]].arrays(rows)))
        if chunks := [chunk for chunk in batch.logs if chunk.lines]:
            rows = [
                (run_id, i, c.node, c.step, c.at, "\n".join(c.lines))
                for i, c in enumerate(chunks, start=1)
            ]
            arrays = self.columns[self.q["insert_log"]].arrays(rows)[1:]
            found.append(("logs", [len(batch.logs), *arrays]))
        return found


def notify_calls(wakes: Sequence[wakeups.Wake]) -> tuple[str, list[str]]:
    """`, pg_notify(...)` for each wake, to end a SELECT list, and their parameters."""
    calls = "".join(", pg_notify(%s, %s)" for _ in wakes)
    return calls, [value for channel, key in wakes for value in (wakeups.PG_PREFIX + channel, key)]


def notifying_insert(txn: Txn[T], wakes: Sequence[wakeups.Wake]) -> Txn[T]:
    """`txn` whose first statement, an INSERT, also NOTIFYs `wakes` if it inserts its
    row: one statement, one round trip, where a NOTIFY after it would make another."""
    insert = next(txn)
    calls, notified = notify_calls(wakes)
    sql = f"WITH inserted AS ({insert.sql} RETURNING 1) SELECT 1{calls} FROM inserted"
    done = yield Stmt(sql, [*(insert.params or ()), *notified])
    try:
        stmt = txn.send(Result([], len(done.rows)))  # as the INSERT's rowcount
        while True:
            stmt = txn.send((yield stmt))
    except StopIteration as stop:
        value: T = stop.value
        return value
