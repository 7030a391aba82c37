"""The executors of one run: the pipeline's, opened on first use, closed when it ends.

A local pipeline's steps all go to one stateless executor. A container pipeline's go to
the run's containers (`RunContainers`): made when its first step starts, attached again
when the run is recovered, removed when it ends — and kept when the run is only left
(drained, fenced, suspended), for whoever resumes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from xene.errors import NodeFailed

if TYPE_CHECKING:  # the executors are imported when a step first needs one
    from xene.core.records import RunRecord
    from xene.engine.options import EngineOptions
    from xene.executors.base import Executor, RunContainers
    from xene.ir import Node, Pipeline


class RunExecutors:
    def __init__(self, pipeline: Pipeline, run: RunRecord, options: EngineOptions) -> None:
        self._pipeline = pipeline
        self._run = run
        self._options = options
        self._local: Executor | None = None
        self._containers: RunContainers | None = None

    @property
    def uses_containers(self) -> bool:
        spec = self._pipeline.executor
        return spec.type == "container" and spec.type not in self._options.executors

    @property
    def holding(self) -> bool:
        """The run has containers open (to close when it ends or is left)."""
        return self._containers is not None

    def for_node(self, node: Node, who: str) -> Executor:
        """Where `node` (`who`: `task 'build'`) runs its commands, or NodeFailed saying
        why there is nowhere."""
        spec = self._pipeline.executor
        given = self._options.executors.get(spec.type)
        if given is not None:
            return given
        if spec.type == "local":
            if self._local is None:
                from xene.executors.local import LocalExecutor

                self._local = LocalExecutor()
            return self._local
        if spec.type == "container":
            return self._open().executor(node.image)
        raise NodeFailed(f"{who} names the {spec.type} executor, which Xene does not have")

    async def attach(self) -> bool:
        """On recovery: whether the run's containers (and so its workspace) survived;
        True for a pipeline that has none to lose."""
        if not self.uses_containers:
            return True
        return await self._open().attach()

    async def close(self, *, ended: bool) -> None:
        """The run ended (`ended`), or was left for a resume."""
        if self._containers is not None:
            containers, self._containers = self._containers, None
            await containers.close(ended=ended)

    def _open(self) -> RunContainers:
        if self._containers is None:
            from xene.executors.base import ContainerRun
            from xene.store.owners import owner_id

            config = self._pipeline.executor.container
            assert config is not None  # the loaders give every container executor one
            run, options = self._run, self._options
            scope = options.container_scope or f"process:{owner_id()}"
            spec = ContainerRun(run.id, run.workflow, run.pipeline, config, scope, options.grace_s)
            if options.containers is not None:
                self._containers = options.containers(spec)
            else:
                from xene.executors.container import RunContainersOnDocker

                self._containers = RunContainersOnDocker(spec)
        return self._containers
