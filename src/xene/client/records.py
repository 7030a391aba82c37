"""The API's JSON back into the records the CLI prints: runs, nodes, steps, log chunks,
approvals and state-machine instances.

A run from `GET /runs/{id}` is `RunRecord.to_dict()` plus its source: durations, not
start and end times, so nodes and steps get `started_at=0` and `ended_at=duration`
(their durations print right); a node's scope is read back from its key
(`price[items=3]`); node inputs and the definition's text are not sent.

This is where a server's words for states and decisions become enums again.
"""

from __future__ import annotations

import re
from typing import Any

from xene.core.records import NodeRecord, RunRecord, StepRecord
from xene.core.states import Decision, State
from xene.store.base import (
    ApprovalRecord,
    LogChunk,
    MachineInstance,
    RetriedNode,
    RunRetry,
    RunSource,
    RunSummary,
    StoredRun,
)

_SCOPE = re.compile(r"\[([^=\[\]]+)=(\d+)\]")


def run_summary(data: dict[str, Any]) -> RunSummary:
    return RunSummary(
        id=data["id"],
        workflow=data["workflow"],
        pipeline=data["pipeline"],
        state=State(data["state"]),
        created_at=data["created_at"],
        started_at=data.get("started_at"),
        ended_at=data.get("ended_at"),
        error=data.get("error"),
        owner=data.get("owner", ""),
        lease_until=float(data.get("lease_until") or 0.0),
        trigger=data.get("trigger"),
    )


def stored_run(data: dict[str, Any], summary: RunSummary | None) -> StoredRun:
    """The run tree of `GET /runs/{id}`; its start and end times from `summary`."""
    nodes = [node_record(n) for n in data.get("nodes", [])]
    record = RunRecord(
        id=data["id"],
        workflow=data["workflow"],
        pipeline=data["pipeline"],
        input=data.get("input"),
        state=State(data["state"]),
        error=data.get("error"),
        started_at=summary.started_at if summary else None,
        ended_at=summary.ended_at if summary else None,
        nodes={n.key: n for n in nodes},
    )
    source = data.get("source") or {}
    return StoredRun(
        record=record,
        source=RunSource(
            path=source.get("path", ""),
            text="",
            format=source.get("format", ""),
            workflow=source.get("workflow", record.workflow),
            pipeline=source.get("pipeline", record.pipeline),
        ),
        owner=data.get("owner", ""),
        lease_until=float(data.get("lease_until") or 0.0),
        idempotency_key=data.get("idempotency_key"),
        retries=tuple(run_retry(r) for r in data.get("retries") or ()),
    )


def run_retry(data: dict[str, Any]) -> RunRetry:
    nodes = tuple(
        RetriedNode(
            key=n["key"],
            state=State(n["state"]),
            attempt=int(n["attempt"]),
            error=n.get("error"),
            started_at=n.get("started_at"),
            ended_at=n.get("ended_at"),
        )
        for n in data.get("nodes") or ()
    )
    return RunRetry(
        number=int(data["number"]),
        by=data["by"],
        at=float(data["at"]),
        from_node=data.get("from_node"),
        log_seq=int(data["log_seq"]),
        nodes=nodes,
    )


def node_record(data: dict[str, Any]) -> NodeRecord:
    key, node_id = data["key"], data["node"]
    state = State(data["state"])
    started, ended = _times(state, data.get("duration_s"))
    scope = key[len(node_id) :] if key.startswith(node_id) else ""
    return NodeRecord(
        key=key,
        node_id=node_id,
        type=data.get("type", ""),
        scope=tuple((c, int(i)) for c, i in _SCOPE.findall(scope)),
        state=state,
        attempt=int(data.get("attempts") or 0),
        output=data.get("output"),
        ports=tuple(data.get("ports") or ()),
        error=data.get("error"),
        started_at=started,
        ended_at=ended,
        steps=[step_record(s) for s in data.get("steps", [])],
        note=data.get("note"),
    )


def step_record(data: dict[str, Any]) -> StepRecord:
    state = State(data["state"])
    started, ended = _times(state, data.get("duration_s"))
    return StepRecord(
        name=data["name"],
        state=state,
        exit_code=data.get("exit_code"),
        error=data.get("error"),
        started_at=started,
        ended_at=ended,
    )


def _times(state: State, duration: float | None) -> tuple[float | None, float | None]:
    """Relative times that give the right duration: (0, duration); (0, None) running."""
    if duration is not None:
        return 0.0, float(duration)
    if state in (State.RUNNING, State.CONFIGURING):
        return 0.0, None
    return None, None


def log_chunk(run_id: str, data: dict[str, Any]) -> LogChunk:
    return LogChunk(
        run_id=run_id,
        node=data["node"],
        step=data.get("step"),
        at=data["at"],
        lines=tuple(data.get("lines") or ()),
        seq=data["seq"],
    )


def approval(data: dict[str, Any]) -> ApprovalRecord:
    return ApprovalRecord(
        hook_id=data["hook_id"],
        run_id=data["run_id"],
        node=data["node"],
        metadata=dict(data.get("metadata") or {}),
        created_at=data["created_at"],
        timeout_at=data.get("timeout_at"),
        timeout_action=Decision(data.get("timeout_action") or Decision.REJECT),
        decision=_decision(data.get("decision")),
        data=data.get("data"),
        reason=data.get("reason") or "",
        decided_at=data.get("decided_at"),
    )


def _decision(word: str | None) -> Decision | None:
    return None if word is None else Decision(word)


def instance(data: dict[str, Any]) -> MachineInstance:
    return MachineInstance(
        id=data["id"],
        machine=data["machine"],
        state=data["state"],
        created_at=data["created_at"],
        updated_at=data["updated_at"],
        history=tuple((h["event"], h["from"], h["to"], h["at"]) for h in data.get("history", [])),
    )
