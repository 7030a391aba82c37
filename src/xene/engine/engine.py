"""The engine: runs pipelines, in process, from an IR `Pipeline`."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Protocol

from xene.core.plan import Plan
from xene.core.records import RunRecord
from xene.engine.execution import Execution
from xene.engine.options import EngineOptions
from xene.spec.ir import Pipeline


class Compilable(Protocol):
    """What compiles to a pipeline: `xene.Pipeline` of the Python API."""

    def compile(self) -> Pipeline: ...


class Engine:
    """Runs pipelines. Build one per process; it holds no global state.

    ```python
    engine = Engine()
    run = await engine.run(pipeline, {"order_id": 7})
    assert run.succeeded
    ```
    """

    def __init__(self, options: EngineOptions | None = None) -> None:
        self.options = options or EngineOptions()
        self._plans: dict[int, tuple[Pipeline, Plan]] = {}

    def prepare(
        self,
        pipeline: Pipeline | Compilable,
        input: Any = None,
        *,
        workflow: str = "",
        run_id: str | None = None,
    ) -> Execution:
        """An execution ready to `execute()`; keep it to `cancel()` the run."""
        if not isinstance(pipeline, Pipeline):
            pipeline = pipeline.compile()
        run = RunRecord(
            id=run_id or self.options.new_id(),
            workflow=workflow,
            pipeline=pipeline.name,
            input=input,
        )
        return Execution(self._plan(pipeline), run, self.options)

    async def run(
        self,
        pipeline: Pipeline | Compilable,
        input: Any = None,
        *,
        workflow: str = "",
        run_id: str | None = None,
    ) -> RunRecord:
        """Run `pipeline` to its end and return the run record."""
        return await self.prepare(pipeline, input, workflow=workflow, run_id=run_id).execute()

    def with_options(self, **changes: Any) -> Engine:
        return Engine(replace(self.options, **changes))

    def _plan(self, pipeline: Pipeline) -> Plan:
        cached = self._plans.get(id(pipeline))
        if cached is None or cached[0] is not pipeline:
            cached = self._plans[id(pipeline)] = (pipeline, Plan.build(pipeline))
        return cached[1]
