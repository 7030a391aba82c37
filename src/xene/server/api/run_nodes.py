"""A run's node records grouped: the records of a node that runs once per split item or
loop turn summarised (how many, in which states, from its first start to its last end),
and paged on request. A run of a 100,000-item split is then a few kilobytes to read, not
the records of every item: `GET /runs/{id}?group=true` and `GET /runs/{id}/nodes/{node}`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from xene.core.records import NodeRecord
from xene.server.api import models
from xene.store.base import StoredRun


def top_level(stored: StoredRun) -> list[NodeRecord]:
    """The records of the nodes that run once in the run (outside any split or loop)."""
    return [n for n in stored.record.nodes.values() if not n.scope]


def groups(stored: StoredRun) -> list[models.NodeGroupOut]:
    """One summary per node inside a split's or a loop's body, in the order they began."""
    inside: dict[str, list[NodeRecord]] = {}
    for record in stored.record.nodes.values():
        if record.scope:
            inside.setdefault(record.node_id, []).append(record)
    return [_group(node, records) for node, records in inside.items()]


def _group(node: str, records: list[NodeRecord]) -> models.NodeGroupOut:
    counts = Counter(str(r.state) for r in records)
    ends = [r.ended_at for r in records]
    return models.NodeGroupOut(
        node=node,
        type=records[0].type,
        total=len(records),
        counts=dict(counts),
        started_at=_least(r.started_at for r in records),
        ended_at=None if None in ends else _most(ends),
        errors=sum(1 for r in records if r.error),
    )


def _least(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return min(known) if known else None


def _most(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return max(known) if known else None


def node_records(stored: StoredRun, node: str) -> list[NodeRecord]:
    """Every record of pipeline node `node`, in the order they began."""
    return [n for n in stored.record.nodes.values() if n.node_id == node]
