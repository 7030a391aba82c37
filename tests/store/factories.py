"""Rows and runs for the store contract tests: defaults everywhere, override what matters.
A state may be given as its word (`"Running"`): rows carry the `State` it names."""

from __future__ import annotations

import dataclasses
import itertools
from typing import Any

from xene.core.states import Decision, State
from xene.store.base import ApprovalRecord, LogChunk, NewRun, NodeRow, RunRow, RunSource, StepRow

_counter = itertools.count(1)

SOURCE = RunSource(path="/defs/ci.yaml", text="tasks: {}\n", format="manifest",
                   workflow="ci", pipeline="build")  # fmt: skip


def run_id() -> str:
    """Time-sortable like the engine's ULIDs: a later call gives a greater id."""
    return f"01HXTEST{next(_counter):012d}"


def new_run(id: str | None = None, **changes: Any) -> NewRun:
    run = NewRun(
        id=id or run_id(),
        workflow="ci",
        pipeline="build",
        input={"branch": "main"},
        source=SOURCE,
        created_at=1_700_000_000.0,
        owner="elsewhere:1",
        lease_until=1_700_000_030.0,
    )
    if "state" in changes:
        changes["state"] = State(changes["state"])
    return dataclasses.replace(run, **changes)


def run_row(id: str, state: str = "Running", **changes: Any) -> RunRow:
    row = RunRow(id=id, state=State(state), error=None, started_at=1_700_000_001.0, ended_at=None)
    return dataclasses.replace(row, **changes)


def node(key: str, state: str = "Running", **changes: Any) -> NodeRow:
    row = NodeRow(
        key=key, node_id=key.split("[", 1)[0], type="std::shell", scope_json="[]",
        state=State(state), attempt=1, input_json="null", output_json="null", ports_json="[]",
        error=None, started_at=1_700_000_002.0, ended_at=None, progress_json="null",
    )  # fmt: skip
    return dataclasses.replace(row, **changes)


def step(node_key: str, index: int, state: str = "Running", **changes: Any) -> StepRow:
    row = StepRow(
        node_key=node_key, index=index, name=f"step{index}", state=State(state), exit_code=None,
        error=None, started_at=1_700_000_003.0, ended_at=None,
    )  # fmt: skip
    return dataclasses.replace(row, **changes)


def chunk(run: str, node: str, *lines: str, step: str | None = "step0") -> LogChunk:
    return LogChunk(run_id=run, node=node, step=step, at=1_700_000_004.0, lines=lines)


def approval(run: str, hook_id: str = "hook-1", **changes: Any) -> ApprovalRecord:
    row = ApprovalRecord(hook_id=hook_id, run_id=run, node="approve",
                     metadata={"fields": ["amount"]}, created_at=1_700_000_005.0,
                     timeout_at=None, timeout_action=Decision.REJECT)  # fmt: skip
    return dataclasses.replace(row, **changes)
