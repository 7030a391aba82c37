"""The Python API's container pipelines: `xene.Pipeline(..., executor=xene.ContainerConfig(...))`.

The same checks as a manifest's (`containers.checked`), located where the pipeline or the
task was written; imported only by a pipeline that has a container or a task image, so
that `import xene` stays light.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xene import errors, ir
from xene.executors import images
from xene.spec import containers

_HOW = "executor=xene.ContainerConfig('golang', memory='256m')"


def check(
    pipeline: str,
    config: ir.ContainerConfig | None,
    tasks: Sequence[Any],
    loc: ir.Location,
) -> tuple[ir.Executor, list[errors.Problem]]:
    """The pipeline's executor and every problem of it and of its tasks' images."""
    from xene.spec.python_shell import ShellTask

    executor, problems = _executor(pipeline, config, loc)
    for task in tasks:
        if not isinstance(task, ShellTask):
            if executor.container is not None:
                problems.append(_on_the_host(pipeline, task.name, task.loc))
        elif task.image is not None:
            problems += _task_image(pipeline, task, executor)
    return executor, problems


def _executor(
    pipeline: str, config: ir.ContainerConfig | None, loc: ir.Location
) -> tuple[ir.Executor, list[errors.Problem]]:
    if config is None:
        return ir.Executor(), []
    if not isinstance(config, ir.ContainerConfig):
        message = f"pipeline {pipeline!r}: executor= takes a container's config: {_HOW}"
        return ir.Executor(), [errors.Problem(loc, message)]
    tidy, found = containers.checked(config)
    problems = [
        errors.Problem(loc, f"pipeline {pipeline!r}: executor {key}: {message}")
        for key, message in found
    ]
    return ir.Executor("container", tidy, loc), problems


def _on_the_host(pipeline: str, task: str, loc: ir.Location) -> errors.Problem:
    return errors.Problem(
        loc,
        f"task {task!r} is a Python function, which would run on the host, outside the "
        f"container of pipeline {pipeline!r}: make it xene.shell({task!r}, 'python3 -m ...') "
        "to run Python in the image, or leave the pipeline's executor out",
    )


def _task_image(pipeline: str, task: Any, executor: ir.Executor) -> list[errors.Problem]:
    if executor.container is None:
        message = (
            f"task {task.name!r} names image {task.image!r}, which only a container pipeline "
            f"runs: give pipeline {pipeline!r} {_HOW}, or leave image out"
        )
        return [errors.Problem(task.loc, message)]
    try:
        images.normalize_image(task.image)
    except ValueError as exc:
        return [errors.Problem(task.loc, f"task {task.name!r}: {exc}")]
    return []
