"""Records to committed rows and back, shared by every store; and, for the SQL stores,
the one place where the words read back from a column become enums again (`db_*`).

Going in, nothing is converted: `State`, `PipelineMode` and `Decision` are str enums,
which sqlite3 and psycopg write as their words.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from xene.core.records import NodeRecord, RunRecord, StepRecord
from xene.core.states import Decision, PipelineMode, State
from xene.store.base import ApprovalRecord, NodeRow, RunRow, RunSummary, StepRow


def dumps(value: Any) -> str:
    # Most nodes' input and output are None or {} (every row of a node, at every commit):
    # spare json.dumps its encoder's setup for them.
    if value is None:
        return "null"
    if type(value) is dict and not value:
        return "{}"
    return json.dumps(value, default=str, separators=(",", ":"))


def loads(text: str | None) -> Any:
    return None if text is None or text == "" else json.loads(text)


def run_row(run: RunRecord) -> RunRow:
    return RunRow(run.id, run.state, run.error, run.started_at, run.ended_at)


_PORTS: dict[tuple[str, ...], str] = {}


def _ports(ports: tuple[str, ...]) -> str:
    """Few distinct port tuples exist: encode each once (this runs for every node)."""
    text = _PORTS.get(ports)
    if text is None:
        text = _PORTS[ports] = dumps(list(ports))
    return text


def node_row(node: NodeRecord) -> NodeRow:
    return NodeRow(
        key=node.key,
        node_id=node.node_id,
        type=node.type,
        scope_json=dumps([list(part) for part in node.scope]) if node.scope else "[]",
        state=node.state,
        attempt=node.attempt,
        input_json=dumps(node.input),
        output_json=dumps(node.output),
        ports_json=_ports(node.ports),
        error=node.error,
        started_at=node.started_at,
        ended_at=node.ended_at,
        progress_json=progress_json(node.progress),
        note=node.note,
    )


def progress_json(progress: tuple[int, int] | None) -> str:
    return f"[{progress[0]},{progress[1]}]" if progress else ""


def step_row(node_key: str, index: int, step: StepRecord) -> StepRow:
    return StepRow(
        node_key=node_key,
        index=index,
        name=step.name,
        state=step.state,
        exit_code=step.exit_code,
        error=step.error,
        started_at=step.started_at,
        ended_at=step.ended_at,
        process=step.process,
    )


def node_record(row: NodeRow) -> NodeRecord:
    progress = loads(row.progress_json)
    return NodeRecord(
        key=row.key,
        node_id=row.node_id,
        type=row.type,
        scope=tuple((str(c), int(i)) for c, i in loads(row.scope_json) or ()),
        state=row.state,
        attempt=row.attempt,
        input=loads(row.input_json),
        output=loads(row.output_json),
        ports=tuple(loads(row.ports_json) or ()),
        error=row.error,
        started_at=row.started_at,
        ended_at=row.ended_at,
        progress=(int(progress[0]), int(progress[1])) if progress else None,
        note=row.note,
    )


def step_record(row: StepRow) -> StepRecord:
    return StepRecord(
        name=row.name,
        state=row.state,
        exit_code=row.exit_code,
        error=row.error,
        started_at=row.started_at,
        ended_at=row.ended_at,
        process=row.process,
    )


# -- read back from SQL: a column's word becomes its enum here, and only here -----------
def db_node(row: Sequence[Any]) -> NodeRow:
    """A `nodes` row whose columns are in `NodeRow`'s order."""
    (key, node_id, type_, scope, state, attempt, input_, output, ports, error,
     started, ended, progress, note) = row  # fmt: skip
    return NodeRow(
        key, node_id, type_, scope, State(state), attempt, input_, output, ports, error,
        started, ended, progress, note,
    )  # fmt: skip


def db_step(row: Sequence[Any]) -> StepRow:
    """A `steps` row whose columns are in `StepRow`'s order."""
    node_key, index, name, state, exit_code, error, started, ended, process = row
    return StepRow(node_key, index, name, State(state), exit_code, error, started, ended, process)


def db_summary(row: Sequence[Any]) -> RunSummary:
    """A `runs` row whose columns are in `RunSummary`'s order."""
    id_, workflow, pipeline, state, created, started, ended, error, owner, lease, trigger = row
    return RunSummary(
        id_, workflow, pipeline, State(state), created, started, ended, error, owner, lease,
        trigger,
    )  # fmt: skip


def db_run(row: Sequence[Any]) -> RunRecord:
    """A run's record, without its nodes, from the first columns of a `get_run` row."""
    id_, workflow, pipeline, state, input_json, error, started, ended = row[:8]
    return RunRecord(
        id=id_, workflow=workflow, pipeline=pipeline, input=loads(input_json),
        state=State(state), error=error, started_at=started, ended_at=ended,
    )  # fmt: skip


def db_approval(row: Sequence[Any]) -> ApprovalRecord:
    (hook_id, run_id, node, metadata_json, created_at, timeout_at, timeout_action,
     decision, data_json, reason, decided_at) = row  # fmt: skip
    return ApprovalRecord(
        hook_id=hook_id, run_id=run_id, node=node, metadata=loads(metadata_json) or {},
        created_at=created_at, timeout_at=timeout_at, timeout_action=Decision(timeout_action),
        decision=None if decision is None else Decision(decision), data=loads(data_json),
        reason=reason, decided_at=decided_at,
    )  # fmt: skip


def db_states(found: Iterable[Sequence[Any]]) -> list[State]:
    """The first column of each row."""
    return [State(row[0]) for row in found]


def db_state_counts(found: Iterable[Sequence[Any]]) -> dict[State, int]:
    """(state, count) rows."""
    return {State(state): int(count) for state, count in found}


def db_modes(found: Iterable[Sequence[Any]]) -> dict[str, PipelineMode]:
    """(pipeline, mode) rows."""
    return {str(pipeline): PipelineMode(mode) for pipeline, mode in found}
