"""The Executor seam: where a task's shell steps, and `std::shell` nodes, run commands.

The engine hands each command to the executor its pipeline names and sees nothing else
of it: the local executor spawns it here, in a process group of its own; the container
executor execs it in the run's container (`RunContainers`, one set per run, opened on
first use and closed when the run ends: `xene.engine.run_executors`). A command goes in
as one frozen value, its result comes back as one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import field
from typing import TYPE_CHECKING, Protocol

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
    error: str | None = None
    """Why it ended, when its exit code does not say (`killed: out of memory (limit 256m)`)."""


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


@frozen
class ContainerRun:
    """What one run's containers are made for, and labelled with (`xene.run`,
    `xene.workflow`, `xene.pipeline`, `xene.scope`)."""

    run_id: str
    workflow: str
    pipeline: str
    config: ir.ContainerConfig
    scope: str
    """Who may sweep them: the processes sharing one store (`store:…`), or one agent
    (`agent:NAME`). A sweep removes only containers of its own scope."""
    grace_s: float = 5.0
    """Between SIGTERM and SIGKILL when a step, or what a dead owner left, is ended."""


class RunContainers(Protocol):
    """The containers of one run (`xene.executors.container`): made on first use, the
    run's workspace shared by all of them, removed when the run ends."""

    def executor(self, image: str | None) -> Executor:
        """Runs commands in the run's container of `image` (None: the pipeline's)."""
        ...

    async def attach(self) -> bool:
        """On recovery: take over the run's containers if they still exist, ending
        whatever a dead owner left running in them. False when the run's workspace is
        gone (or was never made): its earlier tasks' files are not there."""
        ...

    async def close(self, *, ended: bool) -> None:
        """The run has ended (`ended`: remove its containers and workspace), or is left
        for a resume (keep them, to be attached again)."""
        ...


ContainersFactory = Callable[[ContainerRun], RunContainers]
