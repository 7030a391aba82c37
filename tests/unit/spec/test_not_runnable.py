"""What a valid definition holds that cannot run yet: the container executor."""

from __future__ import annotations

from collections.abc import Callable

from xene import ir
from xene.spec import validate

Load = Callable[..., ir.Workflow]

CONTAINER = """
kind: Workflow
apiVersion: v1alpha1
metadata: {name: go}
spec:
  pipelines:
    build:
      executor:
        type: container
        containerConfig: {image: golang}
      tasks:
        vet: {steps: [{name: vet, cmd: go vet ./...}]}
"""


def test_a_container_executor_is_valid_but_cannot_run_yet(load: Load) -> None:
    assert [str(p) for p in validate.not_runnable(load(CONTAINER))] == [
        'wf.yaml:7: spec.pipelines.build.executor: pipeline "build" uses the container '
        'executor (image "golang"), which cannot run yet: every run would fail. To run its '
        "steps on this machine, write executor: {type: local}"
    ]


def test_a_local_executor_can_run(load: Load) -> None:
    local = CONTAINER.replace("type: container", "type: local").replace(
        "        containerConfig: {image: golang}\n", ""
    )
    assert validate.not_runnable(load(local)) == []


def test_a_container_pipeline_built_in_python_is_located_at_the_pipeline() -> None:
    node = ir.Node("t", ir.TASK)
    pipeline = ir.Pipeline(
        "p", (node,), executor=ir.Executor("container", "alpine"), loc=ir.Location("wf.py", 4)
    )
    (problem,) = validate.not_runnable(ir.Workflow("w", (pipeline,)))
    assert str(problem.loc) == "wf.py:4"
