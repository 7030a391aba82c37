"""The container executor on a Docker engine: one container per run, steps exec'd inside.

(Being built: issue 10. Until then every container step fails saying so.)
"""

from __future__ import annotations

from xene.errors import NodeFailed
from xene.executors.base import Command, CommandResult, ContainerRun, Executor


class RunContainersOnDocker:
    """`RunContainers` on the Docker engine `DOCKER_HOST` names (or the local socket)."""

    def __init__(self, run: ContainerRun) -> None:
        self.run = run

    def executor(self, image: str | None) -> Executor:
        return _NotYet()

    async def attach(self) -> bool:
        return False

    async def close(self, *, ended: bool) -> None:
        return None


class _NotYet:
    async def run(self, command: Command) -> CommandResult:
        raise NodeFailed("the container executor is not built yet")
