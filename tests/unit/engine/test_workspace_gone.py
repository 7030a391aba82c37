"""Which finished nodes run again when a recovered run's containers are gone."""

from __future__ import annotations

from xene.core.records import NodeRecord
from xene.core.states import State
from xene.engine.workspace_gone import GONE, run_again, worked_in_container
from xene.ir import TASK, ContainerConfig, Executor, Node, Pipeline, Step

PIPELINE = Pipeline(
    "p",
    (
        Node("build", TASK, steps=(Step("make", cmd="make"),)),
        Node("sh", "std::shell", config={"command": "true"}),
        Node("pure", "std::log", config={"message": "hi"}),
        Node("items", "std::split"),
        Node("each", TASK, steps=(Step("one", cmd="true"),)),
    ),
    executor=Executor("container", ContainerConfig("docker.io/library/busybox:latest")),
)


def record(key: str, state: State = State.SUCCESS, **more: object) -> NodeRecord:
    node_id = key.split("[", 1)[0]
    found = NodeRecord(key=key, node_id=node_id, type="", state=state, **more)  # type: ignore[arg-type]
    found.output, found.ports, found.started_at, found.ended_at = {"x": 1}, ("out",), 1.0, 2.0
    return found


def test_tasks_with_shell_steps_and_command_nodes_worked_in_the_container() -> None:
    nodes = {n.id: n for n in PIPELINE.nodes}
    assert worked_in_container(nodes["build"])
    assert worked_in_container(nodes["sh"])
    assert not worked_in_container(nodes["pure"])
    assert not worked_in_container(Node("py", TASK, steps=(Step("f", kind="python", call="m:f"),)))
    assert not worked_in_container(None)  # a node the pipeline no longer has


def test_succeeded_container_work_runs_again_noted_and_the_rest_is_replayed() -> None:
    recovered = {k: record(k) for k in ("build", "sh", "pure")}
    recovered["failed"] = record("sh", State.ERROR)
    kept = {k: recovered[k] for k in ("pure", "failed")}
    build = recovered["build"]
    assert run_again(recovered, PIPELINE) == ["build", "sh"]
    assert recovered == kept
    assert (build.state, build.note, build.output, build.ports) == (
        State.NOT_EXECUTED,
        GONE,
        None,
        (),
    )
    assert (build.started_at, build.ended_at) == (None, None)
    assert kept["pure"].note is None


def test_an_item_running_again_takes_its_split_with_it_unnoted() -> None:
    recovered = {
        "items": record("items", progress=(2, 2)),
        "each[items=0]": record("each[items=0]", scope=(("items", 0),)),
        "each[items=1]": record("each[items=1]", scope=(("items", 1),)),
    }
    split = recovered["items"]
    assert run_again(recovered, PIPELINE) == ["each[items=0]", "each[items=1]"]
    assert recovered == {}
    assert (split.state, split.note, split.progress) == (State.NOT_EXECUTED, None, None)
