"""A run's records of the nodes inside splits and loops, summarised: one `NodeGroup` per
pipeline node run once per split item or loop turn. What a reader of a big run (the web
UI's run page) asks for instead of every record: a store counts them, and pages them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from xene.core.records import NodeRecord
from xene.frozen import frozen


@frozen
class NodeGroup:
    node: str
    type: str
    total: int
    """Its records: one per split item or loop turn that reached it."""
    counts: dict[str, int]
    """How many of them are in each state."""
    started_at: float | None
    """The first one's start."""
    ended_at: float | None
    """The last one's end; None while any has not ended."""
    errors: int
    """How many of them have an error."""


def in_body(key: str) -> bool:
    """Whether a record's key is of a node inside a split or a loop: `price[fan=3]`."""
    return "[" in key


def group_records(records: Iterable[NodeRecord]) -> list[NodeGroup]:
    """The records inside bodies summarised per node, in the order the nodes began."""
    inside: dict[str, list[NodeRecord]] = {}
    for record in records:
        if in_body(record.key):
            inside.setdefault(record.node_id, []).append(record)
    return [_group(node, found) for node, found in inside.items()]


def _group(node: str, records: list[NodeRecord]) -> NodeGroup:
    counts: dict[str, int] = {}
    for r in records:
        counts[str(r.state)] = counts.get(str(r.state), 0) + 1
    starts = [r.started_at for r in records if r.started_at is not None]
    ends = [r.ended_at for r in records]
    return NodeGroup(
        node=node,
        type=records[0].type,
        total=len(records),
        counts=counts,
        started_at=min(starts) if starts else None,
        ended_at=None if None in ends else max(e for e in ends if e is not None),
        errors=sum(1 for r in records if r.error),
    )


def from_rows(rows: Iterable[tuple[Any, ...]]) -> list[NodeGroup]:
    """Groups from a store's rows `(node, type, state, count, first start, last end,
    unended, errors)`, one per node and state, the nodes in the order they began."""
    parts: dict[str, list[tuple[Any, ...]]] = {}
    for row in rows:
        parts.setdefault(str(row[0]), []).append(row)
    return [_from_parts(node, found) for node, found in parts.items()]


def _from_parts(node: str, rows: list[tuple[Any, ...]]) -> NodeGroup:
    starts = [row[4] for row in rows if row[4] is not None]
    ends = [row[5] for row in rows if row[5] is not None]
    unended = sum(int(row[6]) for row in rows)
    return NodeGroup(
        node=node,
        type=str(rows[0][1]),
        total=sum(int(row[3]) for row in rows),
        counts={str(row[2]): int(row[3]) for row in rows},
        started_at=float(min(starts)) if starts else None,
        ended_at=float(max(ends)) if ends and not unended else None,
        errors=sum(int(row[7]) for row in rows),
    )
