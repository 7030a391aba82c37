"""The Python API's shell tasks and container pipelines build the IR a manifest does."""

from __future__ import annotations

import inspect
from typing import Any

import pytest

import xene
from xene import errors, ir
from xene.spec.load import load_text

from .conftest import without_locations

MANIFEST = """
kind: Workflow
metadata: {name: web}
spec:
  triggers: {manual: {type: manual}}
  pipelines:
    build:
      trigger: manual
      executor:
        type: container
        containerConfig: {image: golang, memory: 256m, volumes: [gomod:/go/pkg]}
      tasks:
        vet:
          workingDir: src
          env: {A: "1"}
          retry: {max_attempts: 2}
          steps: [{name: vet, cmd: go vet ./...}]
        web:
          image: node:20
          dependencies: [vet]
          timeout: 5m
          steps: [{name: step-1, cmd: npm ci}, {name: step-2, cmd: npm test}]
"""


def _line() -> int:
    frame = inspect.currentframe()
    assert frame is not None
    assert frame.f_back is not None
    return frame.f_back.f_lineno


def _problems(pipeline: xene.Pipeline) -> list[str]:
    with pytest.raises(errors.InvalidDefinition) as caught:
        pipeline.compile()
    return [problem.message for problem in caught.value.problems]


def test_shell_tasks_in_a_container_pipeline_compile_as_the_manifest_does() -> None:
    vet = xene.shell("vet", "go vet ./...", working_dir="src", env={"A": "1"}, retries=1)
    web = xene.shell("web", ["npm ci", "npm test"], image="node:20", timeout="5m", needs=[vet])
    config = xene.ContainerConfig("golang", memory="256m", volumes=("gomod:/go/pkg",))
    pipeline = xene.Pipeline("build", [vet, web], executor=config, triggers=["manual"])
    workflow = xene.Workflow("web", [pipeline], triggers=[ir.Trigger("manual", "manual")])
    written = load_text(MANIFEST, "web.yaml")
    assert without_locations(workflow.compile().pipelines) == without_locations(written.pipelines)


def test_a_shell_task_is_located_where_it_was_made() -> None:
    task, line = xene.shell("t", "true"), _line()
    assert (task.loc.file, task.loc.line) == (__file__, line)


def test_a_shell_task_is_run_by_the_engine_not_called() -> None:
    with pytest.raises(TypeError, match="shell task 'build' runs in the engine"):
        xene.shell("build", "make")()


@pytest.mark.parametrize("cmd", ["", "  ", [], ["make", ""]])
def test_a_shell_task_needs_a_command(cmd: Any) -> None:
    with pytest.raises(errors.InvalidDefinition, match="shell task 'x' needs a command"):
        xene.shell("x", cmd)


def test_a_shell_task_runs_locally_without_an_executor() -> None:
    pipeline = xene.Pipeline("p", [xene.shell("t", "echo hi")]).compile()
    assert pipeline.executor == ir.Executor()
    assert pipeline.node("t").steps == (ir.Step("t", cmd="echo hi", loc=pipeline.node("t").loc),)


def test_a_python_task_in_a_container_pipeline_is_refused_where_it_was_written() -> None:
    def build() -> None:
        return None

    task = xene.task(build)
    pipeline = xene.Pipeline("p", [task], executor=xene.ContainerConfig("golang"))
    with pytest.raises(errors.InvalidDefinition) as caught:
        pipeline.compile()
    (problem,) = caught.value.problems
    assert problem.loc.line == build.__code__.co_firstlineno
    assert problem.message == (
        "task 'build' is a Python function, which would run on the host, outside the container "
        "of pipeline 'p': make it xene.shell('build', 'python3 -m ...') to run Python in the "
        "image, or leave the pipeline's executor out"
    )


def test_a_wrong_container_option_is_refused_at_the_pipeline() -> None:
    config = xene.ContainerConfig("Golang", memory="1k", workdir="src")
    pipeline, line = xene.Pipeline("p", [xene.shell("t", "true")], executor=config), _line()
    with pytest.raises(errors.InvalidDefinition) as caught:
        pipeline.compile()
    assert {problem.loc.line for problem in caught.value.problems} == {line}
    assert [problem.message.split(":")[0] for problem in caught.value.problems] == [
        "pipeline 'p'",
        "pipeline 'p'",
        "pipeline 'p'",
    ]
    assert [problem.message.split(": ")[1] for problem in caught.value.problems] == [
        "executor image",
        "executor memory",
        "executor workdir",
    ]


def test_an_executor_that_is_no_container_config_is_refused() -> None:
    pipeline = xene.Pipeline("p", [xene.shell("t", "true")], executor="golang")  # type: ignore[typeddict-item]
    assert _problems(pipeline) == [
        "pipeline 'p': executor= takes a container's config: "
        "executor=xene.ContainerConfig('golang', memory='256m')"
    ]


def test_a_task_image_in_a_local_pipeline_says_how() -> None:
    pipeline = xene.Pipeline("p", [xene.shell("t", "true", image="node")])
    assert _problems(pipeline) == [
        "task 't' names image 'node', which only a container pipeline runs: give pipeline 'p' "
        "executor=xene.ContainerConfig('golang', memory='256m'), or leave image out"
    ]


def test_an_invalid_task_image_is_refused() -> None:
    config = xene.ContainerConfig("golang")
    pipeline = xene.Pipeline("p", [xene.shell("t", "true", image="Node")], executor=config)
    (message,) = _problems(pipeline)
    assert message.startswith("task 't': image \"Node\" is not valid: repository names are lower")


def test_a_task_image_that_is_the_pipelines_is_none() -> None:
    config = xene.ContainerConfig("golang")
    task = xene.shell("t", "true", image="docker.io/library/golang:latest")
    pipeline = xene.Pipeline("p", [task], executor=config).compile()
    assert pipeline.node("t").image is None
    assert pipeline.executor.image == "docker.io/library/golang:latest"


def test_an_unknown_pipeline_option_is_refused() -> None:
    with pytest.raises(errors.InvalidDefinition, match=r"unknown pipeline option\(s\) \['image'\]"):
        xene.Pipeline("p", [], image="golang")  # type: ignore[call-arg]
