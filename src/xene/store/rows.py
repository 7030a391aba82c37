"""Records to committed rows and back; shared by every store."""

from __future__ import annotations

import json
from typing import Any

from xene.core.records import NodeRecord, RunRecord, StepRecord
from xene.core.states import State
from xene.store.base import NodeRow, RunRow, StepRow


def dumps(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def loads(text: str | None) -> Any:
    return None if text is None or text == "" else json.loads(text)


def run_row(run: RunRecord) -> RunRow:
    return RunRow(run.id, str(run.state), run.error, run.started_at, run.ended_at)


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
        state=node.state.value,
        attempt=node.attempt,
        input_json=dumps(node.input),
        output_json=dumps(node.output),
        ports_json=_ports(node.ports),
        error=node.error,
        started_at=node.started_at,
        ended_at=node.ended_at,
        progress_json=progress_json(node.progress),
    )


def progress_json(progress: tuple[int, int] | None) -> str:
    return f"[{progress[0]},{progress[1]}]" if progress else ""


def step_row(node_key: str, index: int, step: StepRecord) -> StepRow:
    return StepRow(
        node_key=node_key,
        index=index,
        name=step.name,
        state=str(step.state),
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
        state=State(row.state),
        attempt=row.attempt,
        input=loads(row.input_json),
        output=loads(row.output_json),
        ports=tuple(loads(row.ports_json) or ()),
        error=row.error,
        started_at=row.started_at,
        ended_at=row.ended_at,
        progress=(int(progress[0]), int(progress[1])) if progress else None,
    )


def step_record(row: StepRow) -> StepRecord:
    return StepRecord(
        name=row.name,
        state=State(row.state),
        exit_code=row.exit_code,
        error=row.error,
        started_at=row.started_at,
        ended_at=row.ended_at,
        process=row.process,
    )
