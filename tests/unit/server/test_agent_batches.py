"""An agent's commits as the server reads them: strict JSON, located problems, seqs in
order, rows of the run posted to only, and a body schema the OpenAPI document can hold."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.store.factories import approval, node, run_row
from xene.core.states import State
from xene.server import agent_batches
from xene.store.base import Batch, LogChunk
from xene.store.wire import batch_json

RUN = "01HXRUN"


def body(*batches: Batch, epoch: int = 3, seqs: tuple[int, ...] = ()) -> bytes:
    numbers = seqs or tuple(range(1, len(batches) + 1))
    commits = [{"seq": n, "batch": batch_json(b)} for n, b in zip(numbers, batches, strict=True)]
    return json.dumps({"epoch": epoch, "commits": commits}).encode()


def problems(data: bytes) -> list[str]:
    with pytest.raises(agent_batches.BadCommits) as caught:
        agent_batches.batches(RUN, agent_batches.parse(data))
    return caught.value.problems


def test_batches_come_back_as_sent_with_the_epoch_and_their_seq() -> None:
    sent = Batch(
        run=run_row(RUN),
        nodes=[node("build")],
        logs=[LogChunk(RUN, "build", "s", 1.0, ("a", "b"))],
        approvals=[approval(RUN, "hook-1")],
        lease_until=9.0,
    )
    (got,) = agent_batches.batches(RUN, agent_batches.parse(body(sent, epoch=4, seqs=(7,))))
    assert (got.epoch, got.seq) == (4, 7)
    assert got.run == sent.run
    assert got.nodes == sent.nodes
    assert got.logs == sent.logs
    assert got.approvals == sent.approvals
    assert got.run is not None
    assert got.run.state is State.RUNNING


@pytest.mark.parametrize(
    ("change", "where"),
    [
        ({"lease_until": "soon"}, "commits.0.batch.lease_until"),
        ({"run": {"id": RUN, "state": "Bogus"}}, "commits.0.batch.run"),
        ({"logs": [{"run_id": RUN, "node": "n", "step": None, "at": 1.0, "lines": [1]}]},
         "commits.0.batch.logs.0.lines.0"),
        ({"nodes": [{"key": "k"}]}, "commits.0.batch.nodes.0.node_id"),
    ],
)  # fmt: skip
def test_a_bad_batch_is_refused_saying_where(change: dict[str, Any], where: str) -> None:
    data = json.loads(body(Batch(run=run_row(RUN))))
    data["commits"][0]["batch"].update(change)
    found = problems(json.dumps(data).encode())
    assert any(p.startswith(where) for p in found), found


def test_numbers_are_not_read_from_strings() -> None:
    data = json.loads(body(Batch()))
    data["epoch"] = "3"
    assert any(p.startswith("epoch:") for p in problems(json.dumps(data).encode()))


def test_seqs_must_increase() -> None:
    found = problems(body(Batch(), Batch(), seqs=(2, 2)))
    assert found == ["commits: seqs must increase, one commit after another (got [2, 2])"]


def test_rows_of_another_run_are_refused() -> None:
    other = Batch(run=run_row("01HXOTHER"), logs=[LogChunk("01HXOTHER", "n", None, 1.0, ("x",))])
    assert problems(body(other)) == [
        "commits.0.batch.run.id: '01HXOTHER' is not this run ('01HXRUN')",
        "commits.0.batch.logs.0.run_id: '01HXOTHER' is not this run ('01HXRUN')",
    ]


def test_not_json_and_no_commits_are_refused() -> None:
    assert problems(b"{")
    assert problems(b'{"epoch": 1, "commits": []}')


def test_the_body_schema_has_no_references_left() -> None:
    text = json.dumps(agent_batches.schema())
    assert "$ref" not in text
    assert "$defs" not in text
    assert '"WaitingForExecutor"' in text
