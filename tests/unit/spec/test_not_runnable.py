"""A container pipeline runs now: nothing valid is refused as unrunnable, but Python in a
container pipeline (which would run on the host) is an error."""

from __future__ import annotations

from collections.abc import Callable

from xene import ir
from xene.spec import validate

from .conftest import Errors

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

HINT = (
    "run Python in the image from a shell step (cmd: python3 -m mypkg.build), or give the "
    "pipeline executor: {type: local}"
)


def test_a_container_executor_can_run(load: Load) -> None:
    assert validate.not_runnable(load(CONTAINER)) == []


def test_a_python_step_in_a_container_pipeline_is_a_located_error(errors: Errors) -> None:
    text = CONTAINER + "        gen: {steps: [{name: gen, type: python, call: 'tools:gen'}]}\n"
    assert errors(text) == [
        'wf.yaml:12: spec.pipelines.build.tasks.gen.steps[0].type: step "gen" of task "gen" '
        'is a Python step, which would run on the host, outside the container (pipeline "build" '
        f"runs its steps in a container): {HINT}"
    ]


def test_a_std_python_node_in_a_container_pipeline_is_a_located_error(errors: Errors) -> None:
    text = CONTAINER + "        gen: {type: std::python, config: {call: 'tools:gen'}}\n"
    assert errors(text) == [
        'wf.yaml:12: spec.pipelines.build.tasks.gen.type: node "gen" (std::python) would run on '
        'the host, outside the container (pipeline "build" runs its steps in a container): '
        f"{HINT}"
    ]


def test_a_python_step_in_a_local_pipeline_is_fine(load: Load) -> None:
    local = CONTAINER.replace("type: container", "type: local").replace(
        "        containerConfig: {image: golang}\n", ""
    )
    text = local + "        gen: {steps: [{name: gen, type: python, call: 'tools:gen'}]}\n"
    assert len(load(text).pipeline("build").nodes) == 2


def test_a_container_pipeline_built_in_python_is_located_at_the_step() -> None:
    step = ir.Step("gen", kind="python", call="tools:gen", loc=ir.Location("wf.py", 9))
    node = ir.Node("t", ir.TASK, steps=(step,), loc=ir.Location("wf.py", 8))
    executor = ir.Executor("container", ir.ContainerConfig("alpine"))
    pipeline = ir.Pipeline("p", (node,), executor=executor, loc=ir.Location("wf.py", 4))
    (problem,) = validate.check_pipeline(pipeline)
    assert str(problem.loc) == "wf.py:9"
    assert problem.message.startswith('step "gen" of task "t" is a Python step')


def test_shell_steps_in_a_container_pipeline_built_in_python_are_fine() -> None:
    node = ir.Node("t", ir.TASK, steps=(ir.Step("s", cmd="true"),))
    executor = ir.Executor("container", ir.ContainerConfig("alpine"))
    assert validate.check_pipeline(ir.Pipeline("p", (node,), executor=executor)) == []
