"""What an agent does with what it holds, without a server: a run's commits go to its
outbox, a fenced run writes nothing more, heartbeat replies fence, cancel and drain."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from xene.agent.calls import AgentApi
from xene.agent.held import Held
from xene.agent.link import Link
from xene.agent.remote_store import AgentRunStore, approval_of
from xene.agent.settings import AgentSettings
from xene.agent.work import Work
from xene.core.states import Decision, State
from xene.store.base import ApprovalRecord, Batch, Fenced, RunRow


def api() -> AgentApi:
    return AgentApi(Link(AgentSettings(servers=("http://127.0.0.1:9",), name="a")), {"name": "a"})


def claim(run_id: str, epoch: int) -> dict[str, Any]:
    return {"run": {"id": run_id, "epoch": epoch}, "lease_s": 15.0, "secrets": {}}


def spooled(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def dropped(*held: Held) -> None:
    """Their outboxes ended (no server here to send to): files closed and gone."""
    for one in held:
        one.outbox.fence()
        await one.outbox.run()
        assert not one.outbox.path.exists()


async def test_a_commit_is_the_batch_in_the_runs_outbox_numbered(tmp_path: Path) -> None:
    held = Held(claim("r1", 3), api(), tmp_path)
    assert held.outbox.path == tmp_path / "r1.3.jsonl"
    store = AgentRunStore("r1", 3, held.outbox, held.api)
    await store.commit("r1", Batch(run=RunRow("r1", State.RUNNING, None, 1.0, None)))
    await store.commit("r1", Batch(lease_until=0.0))
    first, second = spooled(held.outbox.path)
    assert (first["seq"], first["batch"]["run"]["state"]) == (1, "Running")
    assert (second["seq"], second["batch"]["lease_until"]) == (2, 0.0)
    with pytest.raises(ValueError, match="commits run r1 only"):
        await store.commit("r2", Batch())
    await dropped(held)


async def test_a_fenced_run_commits_nothing_more(tmp_path: Path) -> None:
    held = Held(claim("r1", 1), api(), tmp_path)
    store = AgentRunStore("r1", 1, held.outbox, held.api)
    held.fence("its lease is lost")
    assert held.lost
    assert held.outbox.fenced
    with pytest.raises(Fenced, match="epoch 1 is not current"):
        await store.commit("r1", Batch(lease_until=0.0))
    with pytest.raises(Fenced):  # no approval call is made for a run that is not ours
        await store.get_approval("hook")
    await dropped(held)


async def test_heartbeat_replies_fence_lost_runs_and_drain(tmp_path: Path) -> None:
    async def register() -> None:
        pass

    work = Work(api(), 2, tmp_path, register)
    for run_id, epoch in (("r1", 1), ("r2", 4)):
        work.held[run_id] = Held(claim(run_id, epoch), work.api, tmp_path)
    assert work.runs() == {"r1": 1, "r2": 4}
    work.heard({"draining": False, "lease_s": 15.0, "lost": ["r1", "gone"], "cancel": ["r2"]})
    assert work.held["r1"].lost
    assert work.runs() == {"r2": 4}  # a lost run's lease is not asked for again
    assert not work.paused
    work.heard({"draining": True, "lost": [], "cancel": []})
    assert work.paused
    await dropped(*work.held.values())


def test_an_approval_comes_back_from_its_json_form() -> None:
    record = ApprovalRecord(
        hook_id="deploy-1", run_id="r1", node="gate", metadata={"amount": 3},
        created_at=1.0, timeout_at=None, timeout_action=Decision.REJECT,
        decision=Decision.APPROVE, data={"x": 1}, reason="ok", decided_at=2.0,
    )  # fmt: skip
    as_json = json.loads(json.dumps(dataclasses.asdict(record)))
    assert approval_of(as_json) == record
    waiting = dataclasses.replace(record, decision=None, data=None, reason="", decided_at=None)
    assert approval_of(json.loads(json.dumps(dataclasses.asdict(waiting)))) == waiting


async def test_draining_a_run_not_yet_recovered_drains_it_once_it_is(tmp_path: Path) -> None:
    held = Held(claim("r1", 1), api(), tmp_path)
    held.drain()
    held.cancel("cancelled on request")  # nothing to cancel yet: the next reply asks again
    await asyncio.sleep(0)
    assert held.execution is None
    assert held.reported
    await dropped(held)


async def test_a_fresh_claim_runs_at_once_and_a_late_one_asks_the_server_first(
    tmp_path: Path,
) -> None:
    fresh = Held({**claim("r1", 1), "age": 0.01}, api(), tmp_path)
    assert await fresh._confirmed()
    assert not fresh.outbox.path.read_bytes()  # nothing was asked of a server
    late = Held({**claim("r2", 1), "age": 60.0}, api(), tmp_path)  # read after a freeze
    asking = asyncio.create_task(late._confirmed())
    await asyncio.sleep(0)  # the first commit is put before anything is waited for
    (first,) = spooled(late.outbox.path)
    assert first["batch"]["lease_until"] > 0  # renews: the server answers or refuses it
    late.outbox.fence()  # the server refused it: the lease moved on
    assert not await asking
    await dropped(fresh, late)


def test_a_definition_is_parsed_once_for_the_runs_that_share_its_text() -> None:
    from xene.agent.held import pipeline_of
    from xene.store.base import RunSource

    text = (
        "kind: Workflow\napiVersion: v1alpha1\nmetadata: {name: wf}\nspec:\n  pipelines:\n"
        "    p:\n      tasks:\n        t:\n          steps: [{name: s, type: shell, cmd: 'true'}]\n"
    )
    source = RunSource("/w/flow.yaml", text, "manifest", "w", "p")
    first = pipeline_of(source)
    assert first is not None
    assert pipeline_of(source) is first
    assert pipeline_of(RunSource("/w/flow.yaml", text + "\n", "manifest", "w", "p")) is not first
    assert pipeline_of(RunSource("/w/flow.yaml", "not: [a manifest", "manifest", "w", "p")) is None
    assert pipeline_of(RunSource("/w/flow.py", "", "python", "w", "p")) is None
