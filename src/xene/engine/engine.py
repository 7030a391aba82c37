"""The engine's front door: every run starts, resumes or is recovered here.

Without a store a run lives in this process only (`run`, `prepare`). With one, it is kept:
`start` records it before anything executes, `resume` takes over a run whose process
died (`xene resume`), `recover` continues a run this process has claimed (the server's
agent, and a remote agent). The CLI, the server and the agents all come in here.

`recover` needs only an `ExecutionStore` (commit, and the decisions of wait nodes): a
remote agent's store reaches a server and has no more. `start` and `resume` need a
full `Store`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, Protocol, cast

from xene.core.plan import Plan
from xene.core.records import RunRecord
from xene.engine.execution import Execution
from xene.engine.options import EngineOptions
from xene.errors import XeneError
from xene.ir import Pipeline

if TYPE_CHECKING:
    from xene.store.base import RunSource, Store, StoredRun
    from xene.store.roles import ExecutionStore


class Unrecoverable(XeneError):
    """The run cannot be recovered; it was marked Error with the reason."""


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

    def __init__(
        self, options: EngineOptions | None = None, store: ExecutionStore | None = None
    ) -> None:
        self.options = options or EngineOptions()
        self.store = store
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
        return Engine(replace(self.options, **changes), self.store)

    # -- runs kept in the store ---------------------------------------------------------
    async def start(
        self,
        pipeline: Pipeline,
        input: Any,
        source: RunSource,
        *,
        idempotency_key: str | None = None,
    ) -> tuple[Execution, bool]:
        """Record a new run, then its execution; `False` when the idempotency key names
        a run of this workflow and pipeline already (the execution only shows it)."""
        from xene.engine.durable import start_run

        return await start_run(
            self._kept(), pipeline, input, source, self.options, idempotency_key=idempotency_key
        )

    async def resume(self, stored: StoredRun, pipeline: Pipeline | None = None) -> Execution:
        """Take over a run whose process died (CannotResume says why not), then recover
        it as `recover` does."""
        from xene.engine.durable import claim

        now, lease_s = self.options.clock.now(), self.options.lease_s
        claimed = await claim(self._kept(), stored, now, lease_s)
        return await self.recover(claimed, pipeline)

    async def recover(self, stored: StoredRun, pipeline: Pipeline | None = None) -> Execution:
        """The execution of a run this process has claimed, from its recorded definition
        (or `pipeline`, for one built in process): finished nodes are replayed, whatever
        its dead owner left running on this host is ended first, then the rest runs. A
        definition that no longer loads ends the run in Error (Unrecoverable); other runs
        are untouched."""
        from xene.engine import durable

        store = self._executing()
        if pipeline is not None:
            return await durable.recover(store, stored, pipeline, self.options)
        try:
            pipeline = durable.pipeline_of(stored)
        except Exception as exc:  # user code runs when a Python file is imported again
            reason = f"cannot be recovered: its definition no longer loads ({exc})"
            await durable.give_up(store, stored.record.id, reason, self.options.clock.now())
            raise Unrecoverable(f"run {stored.record.id} {reason}; it is marked Error") from exc
        return await durable.recover(store, stored, pipeline, self.options)

    def _executing(self) -> ExecutionStore:
        if self.store is None:
            raise XeneError("this engine has no store: runs are not kept (pass store=...)")
        return self.store

    def _kept(self) -> Store:
        from xene.store.base import Store

        store = self._executing()
        if not issubclass(type(store), Store):  # cached, unlike isinstance on a protocol
            raise XeneError(
                f"this engine's store ({type(store).__name__}) only executes runs claimed "
                "elsewhere (Engine.recover): starting or resuming a run needs a full store"
            )
        return cast("Store", store)

    def _plan(self, pipeline: Pipeline) -> Plan:
        cached = self._plans.get(id(pipeline))
        if cached is None or cached[0] is not pipeline:
            cached = self._plans[id(pipeline)] = (pipeline, Plan.build(pipeline))
        return cached[1]
