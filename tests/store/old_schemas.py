"""Make a store write as it did before a migration, to test upgrading what it wrote."""

from __future__ import annotations

import re
from collections.abc import MutableMapping


def drop_column(q: MutableMapping[str, str], name: str, column: str) -> None:
    """The INSERT `q[name]` without `column`, whose value is still computed from its
    parameters and dropped: folded into the value before it (never NULL, so COALESCE
    keeps that one), so the statement takes the parameters it took."""
    sql = q[name]
    found = re.search(r"\(([^()]*)\)\s*VALUES\s*\(", sql)
    assert found, f"{name} is not an INSERT ... VALUES"
    columns = [c.strip() for c in found.group(1).split(",")]
    values, end = _values(sql, found.end())
    at = columns.index(column)
    folded = values.pop(at)
    values[at - 1] = f"COALESCE({values[at - 1]}, {folded})"
    del columns[at]
    head = sql[: found.start()] + "(" + ", ".join(columns) + ") VALUES ("
    q[name] = head + ", ".join(values) + sql[end:]


def _values(sql: str, start: int) -> tuple[list[str], int]:
    """The comma-separated expressions from `start` to their closing parenthesis, and
    where that is."""
    values, depth, begun = [], 0, start
    for i in range(start, len(sql)):
        if sql[i] == "(":
            depth += 1
        elif sql[i] == ")" and depth:
            depth -= 1
        elif sql[i] in ",)" and not depth:
            values.append(sql[begun:i].strip())
            begun = i + 1
            if sql[i] == ")":
                return values, i
    raise AssertionError("the VALUES are not closed")


def before_0014(q: MutableMapping[str, str]) -> None:
    """The queries of a store whose runs have no epoch and commit number (migration
    0014), for the statements an old store's test writes with: insert_run (whichever
    dialect's form it has been given), lock_run and get_run."""
    drop_column(q, "insert_run", "epoch")
    q["lock_run"] = q["lock_run"].replace("epoch, commit_seq", "0, 0")
    q["get_run"] = q["get_run"].replace("idempotency_key, epoch", "idempotency_key, 0")


def before_0015(q: MutableMapping[str, str]) -> None:
    """The queries of a store whose nodes have no note (migration 0015), for the node
    statements an old store's test writes and reads with: the note's parameter is still
    sent, and dropped (a node's progress is never NULL, so COALESCE keeps it)."""
    ph = "%s" if "%s" in q["run_counters"] else "?"
    for name in ("upsert_node", "insert_node"):
        text = q[name].replace("progress_json, note\n", "progress_json\n")
        text = text.replace(", note = excluded.note", "")
        head, sep, tail = text.rpartition(f"{ph}, {ph})")
        assert sep, f"{name} does not end its values with the progress and the note"
        q[name] = head + f"COALESCE({ph}, {ph}))" + tail
    for name in ("run_nodes", "retried_nodes"):
        q[name] = q[name].replace("progress_json, note\n", "progress_json, NULL\n")


def before_0016(q: MutableMapping[str, str]) -> None:
    """The insert_run of a store whose runs have no trigger name (migration 0016)."""
    drop_column(q, "insert_run", "trigger_name")
