"""The Executor seam: where a task's shell steps, and `std::shell` nodes, run commands.

The engine hands each command to the executor its pipeline names and sees nothing else
of it: the local executor spawns it here, in a process group of its own; the container
executor will exec it in the run's container, and a remote agent runs it on its own
machine. A command goes in as one frozen value, its result comes back as one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Protocol

from xene.errors import NodeFailed
from xene.frozen import frozen

if TYPE_CHECKING:
    from xene import ir
    from xene.executors.spawn import Pace


@frozen
class CommandResult:
    exit_code: int
    outputs: dict[str, str] = field(default_factory=dict)
    """`key=value` lines the command wrote to the file named by `$XENE_OUTPUT`."""
    timed_out: bool = False


@frozen
class Control:
    """How a command is stopped and paced."""

    grace_s: float = 5.0
    """Between SIGTERM and SIGKILL when it times out or is cancelled."""
    pace: Pace | None = None
    """Back-pressure: reading output waits while `pace.full`."""
    on_group: Callable[[str], None] | None = None
    """Told what names the command's process group once it has run for a moment, to be
    recorded for recovery (`xene.executors.processes.ProcessRef` for local ones)."""


@frozen
class Command:
    """One shell step's command, as an executor gets it."""

    cmd: str
    cwd: str | None
    env: Mapping[str, str]
    """Added to the executor's own environment."""
    on_line: Callable[[str], None]
    """Each line of output, in order, as it comes."""
    timeout_s: float | None
    control: Control = Control()


class Executor(Protocol):
    """Runs shell steps' commands somewhere."""

    async def run(self, command: Command) -> CommandResult:
        """Run `command` to its end (or its timeout); cancelling stops it."""
        ...


def executor_for(spec: ir.Executor, who: str, given: Mapping[str, Executor]) -> Executor:
    """The executor a pipeline names (`executor: {type: ...}`) for `who` (`task 'build'`):
    one `given` by that type (`EngineOptions.executors`), else the built-in one, or
    NodeFailed saying why there is none."""
    if spec.type in given:
        return given[spec.type]
    if spec.type == "local":
        from xene.executors.local import LocalExecutor

        return LocalExecutor()
    raise NodeFailed(
        f"{who} uses the {spec.type} executor (image {spec.image!r}), which needs "
        "a Docker engine; run it with `executor: {type: local}` for now"
    )
