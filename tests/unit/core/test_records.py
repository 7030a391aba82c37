"""Run, node and step records as a run leaves them, and listeners told of changes."""

from __future__ import annotations

from xene.core.records import Listener, Listeners, NodeRecord, RunRecord, StepRecord
from xene.core.states import State


def _step() -> StepRecord:
    return StepRecord("build", State.ERROR, exit_code=2, error="boom", started_at=1.0, ended_at=3.5)


def _node() -> NodeRecord:
    return NodeRecord(
        key="work[split=1]",
        node_id="work",
        type="task",
        scope=(("split", 1),),
        state=State.SUCCESS,
        attempt=2,
        input={"in": 1},
        output={"out": 2},
        ports=("out",),
        error=None,
        started_at=10.0,
        ended_at=10.25,
        steps=[_step()],
    )


def _run() -> RunRecord:
    node = _node()
    return RunRecord(
        id="r1",
        workflow="wf",
        pipeline="main",
        input={"x": 1},
        state=State.SUCCESS,
        error=None,
        started_at=100.0,
        ended_at=102.0,
        nodes={node.key: node},
    )


def test_a_new_step_record_has_not_executed() -> None:
    step = StepRecord("build")
    assert (step.state, step.exit_code, step.error, step.process) == (
        State.NOT_EXECUTED,
        None,
        None,
        None,
    )


def test_a_step_record_as_a_dict_has_its_fields_and_duration() -> None:
    assert _step().to_dict() == {
        "name": "build",
        "state": "Error",
        "exit_code": 2,
        "error": "boom",
        "started_at": 1.0,
        "ended_at": 3.5,
        "duration_s": 2.5,
    }


def test_a_step_that_has_not_ended_has_no_duration() -> None:
    assert StepRecord("build", started_at=1.0).to_dict()["duration_s"] is None


def test_a_step_that_has_not_started_has_no_duration() -> None:
    assert StepRecord("build", ended_at=1.0).to_dict()["duration_s"] is None


def test_a_duration_is_rounded_to_microseconds() -> None:
    step = StepRecord("s", started_at=0.0, ended_at=1.23456789)
    assert step.to_dict()["duration_s"] == 1.234568


def test_a_new_node_record_has_not_executed_and_no_attempt() -> None:
    node = NodeRecord(key="a", node_id="a", type="task")
    assert (node.state, node.attempt, node.scope, node.ports, node.steps, node.progress) == (
        State.NOT_EXECUTED,
        0,
        (),
        (),
        [],
        None,
    )


def test_a_node_record_as_a_dict_has_its_fields_and_steps() -> None:
    assert _node().to_dict() == {
        "key": "work[split=1]",
        "node": "work",
        "type": "task",
        "state": "Success",
        "attempts": 2,
        "ports": ["out"],
        "output": {"out": 2},
        "error": None,
        "started_at": 10.0,
        "ended_at": 10.25,
        "duration_s": 0.25,
        "steps": [_step().to_dict()],
        "note": None,
    }


def test_a_run_record_as_a_dict_has_its_fields_and_nodes() -> None:
    assert _run().to_dict() == {
        "id": "r1",
        "workflow": "wf",
        "pipeline": "main",
        "state": "Success",
        "error": None,
        "input": {"x": 1},
        "started_at": 100.0,
        "ended_at": 102.0,
        "duration_s": 2.0,
        "nodes": [_node().to_dict()],
    }


def test_a_new_run_record_has_not_executed_and_no_nodes() -> None:
    run = RunRecord(id="r", workflow="w", pipeline="p")
    assert (run.state, run.input, run.error, run.nodes) == (State.NOT_EXECUTED, None, None, {})


def test_a_run_succeeded_when_its_state_is_success() -> None:
    assert _run().succeeded


def test_a_run_in_any_other_state_did_not_succeed() -> None:
    assert not RunRecord(id="r", workflow="w", pipeline="p", state=State.SKIPPED).succeeded


class _Told(Listener):
    def __init__(self, name: str, told: list[str]) -> None:
        self.name, self.told = name, told

    def run_changed(self, run: RunRecord) -> None:
        self.told.append(f"{self.name} run {run.id}")

    def node_changed(self, run: RunRecord, node: NodeRecord) -> None:
        self.told.append(f"{self.name} node {run.id} {node.key}")

    def step_changed(self, run: RunRecord, node: NodeRecord, step: StepRecord) -> None:
        self.told.append(f"{self.name} step {run.id} {node.key} {step.name}")

    def log(self, run: RunRecord, node: NodeRecord, step: str | None, line: str) -> None:
        self.told.append(f"{self.name} log {run.id} {node.key} {step} {line}")


def _listeners() -> tuple[Listeners, list[str]]:
    told: list[str] = []
    return Listeners([_Told("one", told), Listener(), _Told("two", told)]), told


def test_listeners_tell_each_listener_of_a_run_change_in_order() -> None:
    listeners, told = _listeners()
    listeners.run_changed(_run())
    assert told == ["one run r1", "two run r1"]


def test_listeners_tell_each_listener_of_a_node_change() -> None:
    listeners, told = _listeners()
    listeners.node_changed(_run(), _node())
    assert told == ["one node r1 work[split=1]", "two node r1 work[split=1]"]


def test_listeners_tell_each_listener_of_a_progress_change() -> None:
    listeners, told = _listeners()
    listeners.progress_changed(_run(), _node())
    assert told == ["one node r1 work[split=1]", "two node r1 work[split=1]"]


def test_a_progress_change_is_a_node_change_unless_a_listener_says_otherwise() -> None:
    told: list[str] = []
    _Told("one", told).progress_changed(_run(), _node())
    assert told == ["one node r1 work[split=1]"]


def test_listeners_tell_each_listener_of_a_step_change() -> None:
    listeners, told = _listeners()
    listeners.step_changed(_run(), _node(), _step())
    assert told == ["one step r1 work[split=1] build", "two step r1 work[split=1] build"]


def test_listeners_pass_each_log_line_with_its_step() -> None:
    listeners, told = _listeners()
    listeners.log(_run(), _node(), "build", "hello")
    assert told == ["one log r1 work[split=1] build hello", "two log r1 work[split=1] build hello"]


def test_a_plain_listener_ignores_every_change() -> None:
    listener, run, node = Listener(), _run(), _node()
    listener.run_changed(run)
    listener.node_changed(run, node)
    listener.step_changed(run, node, _step())
    listener.log(run, node, None, "line")
    assert run.to_dict() == _run().to_dict()
