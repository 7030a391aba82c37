"""What every store shares about retries: how a node and its steps are set back to run
again, and the retry record's JSON. (Which nodes run again: `xene.core.rerun`.)"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import Any

from xene.core.states import State
from xene.store import rows
from xene.store.base import NodeRow, RetriedNode, StepRow

RETRYABLE = (State.ERROR, State.CANCELLED)
"""The run states a retry starts from."""


def reset_node(node: NodeRow) -> NodeRow:
    """The node as a retry leaves it: not executed, its attempt kept."""
    return dataclasses.replace(
        node,
        state=State.NOT_EXECUTED,
        input_json="null",
        output_json="null",
        ports_json="[]",
        error=None,
        started_at=None,
        ended_at=None,
        progress_json="null",
        note=None,
    )


def reset_step(step: StepRow) -> StepRow:
    return dataclasses.replace(
        step, state=State.NOT_EXECUTED, exit_code=None, error=None, started_at=None, ended_at=None
    )


def retried(node: NodeRow) -> RetriedNode:
    return RetriedNode(
        node.key, node.state, node.attempt, node.error, node.started_at, node.ended_at
    )


def nodes_json(nodes: Iterable[RetriedNode]) -> str:
    return rows.dumps([dataclasses.astuple(n) for n in nodes])


def nodes_from_json(text: str) -> tuple[RetriedNode, ...]:
    found: list[list[Any]] = rows.loads(text) or []
    return tuple(
        RetriedNode(str(k), State(s), int(a), e, _time(b), _time(f)) for k, s, a, e, b, f in found
    )


def _time(value: Any) -> float | None:
    return None if value is None else float(value)
