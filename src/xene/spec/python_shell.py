"""Shell tasks in the Python API: `xene.shell(name, cmd, ...)`.

A shell task runs commands under `/bin/sh -c`, as a manifest task's shell steps do, so it
may run in a container pipeline (`xene.Pipeline(..., executor=xene.ContainerConfig(...))`)
and name an image of its own (`image="node:20"`). It joins other tasks with `needs=`,
`.needs(...)` or `>>` like any `xene.task`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Unpack

from xene import ir
from xene.spec.python_api import Task, TaskOptions, _caller_location, _invalid


class ShellTask(Task[[], None]):
    """A task of shell steps; calling it is an error (the engine runs it)."""

    def __init__(
        self,
        name: str,
        cmd: str | Sequence[str],
        /,
        *,
        image: str | None = None,
        working_dir: str | None = None,
        loc: ir.Location | None = None,
        **options: Unpack[TaskOptions],
    ) -> None:
        self._where = loc or ir.Location()
        commands = [cmd] if isinstance(cmd, str) else list(cmd)
        if not commands or not all(isinstance(c, str) and c.strip() for c in commands):
            raise _invalid(self._where, f"shell task {name!r} needs a command, such as 'make'")
        if image is not None and (not isinstance(image, str) or not image.strip()):
            raise _invalid(self._where, f"shell task {name!r}: image is a name such as 'node:20'")
        options["name"] = name
        super().__init__(_run_by_the_engine(name), **options)
        self.commands = tuple(commands)
        self.image = image
        self.working_dir = working_dir

    def _location(self, fn: Callable[..., Any]) -> ir.Location:
        del fn
        return self._where

    def node(self) -> ir.Node:
        """This task as an IR node: one shell step per command."""
        single = len(self.commands) == 1
        steps = tuple(
            ir.Step(name=self.name if single else f"step-{index + 1}", cmd=cmd, loc=self.loc)
            for index, cmd in enumerate(self.commands)
        )
        return ir.Node(
            id=self.name,
            type=ir.TASK,
            steps=steps,
            description=self.description,
            working_dir=self.working_dir,
            env=self.env,
            retry=self.retry,
            timeout_s=self.timeout_s,
            join="all",
            image=self.image,
            loc=self.loc,
        )


def shell(
    name: str,
    cmd: str | Sequence[str],
    /,
    *,
    image: str | None = None,
    working_dir: str | None = None,
    **options: Unpack[TaskOptions],
) -> ShellTask:
    """A task running `cmd` (or each command of a list, in order) under `/bin/sh -c`.

    `image` names its own image in a container pipeline; `working_dir` is where it runs
    (relative to the workspace in a container); the other options are `@xene.task`'s.
    """
    return ShellTask(
        name, cmd, image=image, working_dir=working_dir, loc=_caller_location(), **options
    )


def _run_by_the_engine(name: str) -> Callable[[], None]:
    def run() -> None:
        raise TypeError(f"shell task {name!r} runs in the engine: run its pipeline instead")

    run.__name__ = name
    return run
