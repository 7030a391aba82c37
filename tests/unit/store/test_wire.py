"""A run handed to an agent comes back as the records a local recovery reads."""

from __future__ import annotations

import json

import pytest

from xene.core.records import NodeRecord, RunRecord, StepRecord
from xene.core.states import State
from xene.store.base import Batch, LogChunk, RetriedNode, RunRetry, RunRow, RunSource, StoredRun
from xene.store.wire import WireError, batch_json, stored_run_json, stored_run_of


def _stored() -> StoredRun:
    run = RunRecord(id="r1", workflow="ci", pipeline="build", input={"n": 1}, state=State.RUNNING)
    node = NodeRecord(
        key="test", node_id="test", type="task", state=State.SUCCESS, attempt=2,
        output={"ok": True}, ports=("out",), scope=(("split", 3),), started_at=1.0,
        ended_at=2.0, progress=(3, 4),
    )  # fmt: skip
    node.steps.append(StepRecord(name="go", state=State.SUCCESS, exit_code=0, process="g:1"))
    node.steps.append(StepRecord(name="more", state=State.ERROR, exit_code=3, error="bad"))
    run.nodes["test"] = node
    run.nodes["next"] = NodeRecord(key="next", node_id="next", type="task")
    retry = RunRetry(1, "ann", 5.0, "test", 9, (RetriedNode("test", State.ERROR, 1, "x", 1, 2),))
    source = RunSource("/w/ci.yaml", "text", "manifest", "ci", "build")
    return StoredRun(run, source, "agent:a", 30.0, "key", (retry,), epoch=3)


def test_a_stored_run_comes_back_whole_through_json() -> None:
    stored = _stored()
    back = stored_run_of(json.loads(json.dumps(stored_run_json(stored))))
    assert back == stored
    assert [s.name for s in back.record.nodes["test"].steps] == ["go", "more"]


def test_a_form_missing_a_field_is_a_wire_error() -> None:
    data = stored_run_json(_stored())
    del data["epoch"]
    with pytest.raises(WireError, match="epoch"):
        stored_run_of(data)
    with pytest.raises(WireError):
        stored_run_of({**stored_run_json(_stored()), "state": "Sleeping"})


def test_a_batch_is_plain_json_with_its_fence() -> None:
    batch = Batch(
        run=RunRow("r1", State.SUCCESS, None, 1.0, 2.0),
        logs=[LogChunk("r1", "test", "go", 1.5, ("a", "b"))],
        lease_until=0.0, epoch=3, seq=7,
    )  # fmt: skip
    data = json.loads(json.dumps(batch_json(batch)))
    assert data["epoch"] == 3
    assert data["seq"] == 7
    assert data["run"]["state"] == "Success"
    assert data["logs"][0]["lines"] == ["a", "b"]
