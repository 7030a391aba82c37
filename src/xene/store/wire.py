"""The JSON forms in which a run crosses between a server and a remote agent.

A server hands a claimed run to an agent as rows (`stored_run_json`), the same rows the
SQL stores read a run back from, so that the agent rebuilds exactly the records a local
recovery would (`stored_run_of`) with no library beyond the standard one: an agent needs
only Xene's core dependencies. The agent sends its journal's batches back as
`dataclasses.asdict` makes them (`batch_json`); the server validates them strictly
(`xene.server.agent_batches`) before they reach its store.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from xene.core.records import RunRecord
from xene.core.states import State
from xene.store import rows
from xene.store.base import (
    Batch,
    NodeRow,
    RetriedNode,
    RunRetry,
    RunSource,
    StepRow,
    StoredRun,
)


class WireError(ValueError):
    """A run's JSON form is not what this version of Xene sends."""


def batch_json(batch: Batch) -> dict[str, Any]:
    """A batch as JSON-able data: its dataclasses as dicts, enums as their words."""
    return dataclasses.asdict(batch)


def stored_run_json(stored: StoredRun) -> dict[str, Any]:
    record = stored.record
    nodes: list[dict[str, Any]] = []
    steps: list[dict[str, Any]] = []
    for node in record.nodes.values():
        nodes.append(dataclasses.asdict(rows.node_row(node)))
        steps.extend(
            dataclasses.asdict(rows.step_row(node.key, index, step))
            for index, step in enumerate(node.steps)
        )
    return {
        "id": record.id,
        "workflow": record.workflow,
        "pipeline": record.pipeline,
        "input_json": rows.dumps(record.input),
        "state": str(record.state),
        "error": record.error,
        "started_at": record.started_at,
        "ended_at": record.ended_at,
        "nodes": nodes,
        "steps": steps,
        "source": dataclasses.asdict(stored.source),
        "owner": stored.owner,
        "lease_until": stored.lease_until,
        "idempotency_key": stored.idempotency_key,
        "retries": [dataclasses.asdict(retry) for retry in stored.retries],
        "epoch": stored.epoch,
    }


def stored_run_of(data: dict[str, Any]) -> StoredRun:
    """The run `stored_run_json` made; WireError if `data` is not such a form."""
    try:
        return _stored_run(data)
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"a claimed run's form is not understood: {exc!r}") from exc


def _stored_run(data: dict[str, Any]) -> StoredRun:
    record = RunRecord(
        id=str(data["id"]),
        workflow=str(data["workflow"]),
        pipeline=str(data["pipeline"]),
        input=rows.loads(data["input_json"]),
        state=State(data["state"]),
        error=data["error"],
        started_at=data["started_at"],
        ended_at=data["ended_at"],
    )
    for node in data["nodes"]:
        row = NodeRow(**{**node, "state": State(node["state"])})
        record.nodes[row.key] = rows.node_record(row)
    for step in data["steps"]:
        step_row = StepRow(**{**step, "state": State(step["state"])})
        if step_row.node_key in record.nodes:
            record.nodes[step_row.node_key].steps.append(rows.step_record(step_row))
    return StoredRun(
        record=record,
        source=RunSource(**data["source"]),
        owner=str(data["owner"]),
        lease_until=float(data["lease_until"]),
        idempotency_key=data["idempotency_key"],
        retries=tuple(_retry(retry) for retry in data["retries"]),
        epoch=int(data["epoch"]),
    )


def _retry(data: dict[str, Any]) -> RunRetry:
    nodes = tuple(RetriedNode(**{**n, "state": State(n["state"])}) for n in data["nodes"])
    return RunRetry(**{**data, "nodes": nodes})
