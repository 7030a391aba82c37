"""Contract of the reading roles (`RunReader`, `ApprovalStore`, `MachineReader`), on every
backend that declares them: the local stores, and a server's `RemoteStore` over its API.
Each test writes through the local store and reads back through the backend under test."""

from __future__ import annotations

import pytest

from tests.store.conftest import Reading
from tests.store.factories import approval, chunk, new_run, node, run_row, step
from xene.core.states import Decision, State
from xene.store.base import Batch, MachineInstance, RunFilter
from xene.store.roles import ApprovalStore, MachineReader, RunReader

RUNS = pytest.mark.role.with_args(RunReader)
APPROVALS = pytest.mark.role.with_args(ApprovalStore)
MACHINES = pytest.mark.role.with_args(MachineReader)
AT = 1_700_000_070.0
LIGHT = {
    "name": "light",
    "initial_state": "red",
    "events": [{"name": "go", "destination": "green", "sources": ["red"]}],
    "attributes": {},
    "on_enter": {},
    "workflow": "ci",
    "source": "",
    "source_text": "",
}


# -- RunReader ------------------------------------------------------------------------------
@RUNS
async def test_get_run_of_an_unknown_id_is_none(reading: Reading) -> None:
    assert await reading.reader.get_run("01HXNOSUCHRUN") is None


@RUNS
async def test_get_run_gives_the_states_of_the_run_its_nodes_and_steps(
    reading: Reading,
) -> None:
    run_id, _ = await reading.store.create_run(new_run())
    batch = Batch(
        run=run_row(run_id, "Error", error="boom", ended_at=AT),
        nodes=[node("build", "Error", ended_at=AT)],
        steps=[step("build", 0, "Success", ended_at=AT), step("build", 1, "Error", ended_at=AT)],
    )
    await reading.store.commit(run_id, batch)
    stored = await reading.reader.get_run(run_id)
    assert stored is not None
    assert (stored.record.state, stored.record.error) == (State.ERROR, "boom")
    built = stored.record.nodes["build"]
    assert built.state is State.ERROR
    assert [s.state for s in built.steps] == [State.SUCCESS, State.ERROR]


@RUNS
async def test_list_runs_is_newest_first_and_filters_by_state(reading: Reading) -> None:
    ids = [(await reading.store.create_run(new_run()))[0] for _ in range(3)]
    await reading.store.commit(ids[1], Batch(run=run_row(ids[1], "Success", ended_at=AT)))
    listed = await reading.reader.list_runs(RunFilter())
    assert [r.id for r in listed] == ids[::-1]
    assert [r.state for r in listed] == [State.NOT_EXECUTED, State.SUCCESS, State.NOT_EXECUTED]
    assert all(isinstance(r.state, State) for r in listed)
    succeeded = await reading.reader.list_runs(RunFilter(state=State.SUCCESS))
    assert [r.id for r in succeeded] == [ids[1]]


@RUNS
async def test_list_runs_pages_below_a_run_id(reading: Reading) -> None:
    ids = [(await reading.store.create_run(new_run()))[0] for _ in range(3)]
    page = await reading.reader.list_runs(RunFilter(limit=1, before=ids[2]))
    assert [r.id for r in page] == [ids[1]]


@RUNS
async def test_read_logs_gives_the_chunks_after_a_seq_of_a_node(reading: Reading) -> None:
    run_id, _ = await reading.store.create_run(new_run())
    chunks = [chunk(run_id, "a", "one"), chunk(run_id, "b", "two"), chunk(run_id, "a", "three")]
    await reading.store.commit(run_id, Batch(logs=chunks))
    got = await reading.reader.read_logs(run_id, node="a", after=1)
    assert [(c.seq, c.node, c.lines) for c in got] == [(3, "a", ("three",))]


@RUNS
async def test_find_ids_of_runs_ignores_case(reading: Reading) -> None:
    run_id, _ = await reading.store.create_run(new_run())
    assert await reading.reader.find_ids("run", run_id[:-3].lower()) == [run_id]
    assert await reading.reader.find_ids("run", "nothing-starts-so") == []


# -- ApprovalStore --------------------------------------------------------------------------
async def _suspended(reading: Reading, *hooks: str) -> str:
    run_id, _ = await reading.store.create_run(new_run())
    batch = Batch(approvals=[approval(run_id, h, created_at=AT + i) for i, h in enumerate(hooks)])
    await reading.store.commit(run_id, batch)
    return run_id


@APPROVALS
async def test_a_decision_is_recorded_once_and_read_back_as_a_decision(
    reading: Reading,
) -> None:
    run_id = await _suspended(reading, "hook-1")
    decided = await reading.reader.decide("hook-1", Decision.REJECT, {"n": 1}, "too much", AT)
    assert decided is not None
    assert (decided.run_id, decided.decision, decided.data) == (run_id, Decision.REJECT, {"n": 1})
    assert await reading.reader.decide("hook-1", Decision.APPROVE, None, "", AT) is None
    again = await reading.reader.get_approval("hook-1")
    assert again is not None
    assert (again.decision, again.reason, again.timeout_action) == (
        Decision.REJECT,
        "too much",
        Decision.REJECT,
    )


@APPROVALS
async def test_deciding_an_unknown_hook_is_none(reading: Reading) -> None:
    assert await reading.reader.decide("no-such-hook", Decision.APPROVE, None, "", AT) is None
    assert await reading.reader.get_approval("no-such-hook") is None


@APPROVALS
async def test_list_suspensions_leaves_out_decided_ones_unless_asked(reading: Reading) -> None:
    await _suspended(reading, "a", "b")
    await reading.store.decide("a", Decision.APPROVE, None, "", AT)
    assert [s.hook_id for s in await reading.reader.list_approvals()] == ["b"]
    every = await reading.reader.list_approvals(pending=False)
    assert [(s.hook_id, s.decision) for s in every] == [("a", Decision.APPROVE), ("b", None)]


# -- MachineReader --------------------------------------------------------------------------
@MACHINES
async def test_machines_are_listed_by_name_and_read_back(reading: Reading) -> None:
    for name in ("light", "door"):
        await reading.store.define_machine(name, {**LIGHT, "name": name}, AT)
    assert await reading.reader.list_machines() == ["door", "light"]
    got = await reading.reader.get_machine("light")
    assert got is not None
    assert (got["name"], got["initial_state"]) == ("light", "red")
    assert await reading.reader.get_machine("nope") is None


@MACHINES
async def test_instances_are_read_back_and_listed_by_machine(reading: Reading) -> None:
    await reading.store.define_machine("light", LIGHT, AT)
    for id_ in ("i1", "i2"):
        instance = MachineInstance(id_, "light", "red", AT, AT)
        await reading.store.create_instance(instance)
    await reading.store.move_instance("i1", "go", "red", "green", AT + 1)
    got = await reading.reader.get_instance("i1")
    assert got is not None
    assert (got.state, got.history) == ("green", (("go", "red", "green", AT + 1),))
    listed = await reading.reader.list_instances("light")
    assert [(i.id, i.state) for i in listed] == [("i1", "green"), ("i2", "red")]
    assert await reading.reader.get_instance("nope") is None
