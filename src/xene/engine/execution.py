"""One run of one pipeline: the scheduler loop.

The planner (pure) says which nodes start; this module starts them, records every change
before acting on it, and feeds results back. Pure, synchronous `std::` nodes run inline in
the loop (no task, no thread: microseconds each); Xene tasks and I/O nodes run as asyncio
tasks, up to the run's concurrency limit.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Awaitable, Mapping
from typing import TYPE_CHECKING, Any

from xene.core import planner
from xene.core.plan import LOOP, ROOT, SPLIT, Plan
from xene.core.planner import RegionRun, Start
from xene.core.records import Listener, Listeners, NodeRecord, RunRecord, StepRecord
from xene.core.states import State, transition
from xene.engine import attempts
from xene.engine.constructs import Constructs
from xene.engine.context import Context
from xene.engine.journal import Journal, NullJournal, RunJournal
from xene.engine.options import EngineOptions
from xene.engine.run_executors import RunExecutors
from xene.ir import Node, Pipeline
from xene.nodes.base import NodeContext, NodeResult
from xene.secrets import inject, masking
from xene.store.base import Fenced

if TYPE_CHECKING:
    from xene.engine.kept import Durable


class Execution:
    """One run of one pipeline. Its helpers see it as `xene.engine.run_view.RunControl`;
    everything else executes, cancels, drains or abandons it, and reads its `run` and
    whether it has `finished`."""

    def __init__(
        self,
        plan: Plan,
        run: RunRecord,
        options: EngineOptions,
        durable: Durable | None = None,
    ) -> None:
        self._plan = plan
        self._pipeline = plan.pipeline
        self._run = run
        self._options = options
        self._wakeup = asyncio.Event()
        self._journal: RunJournal = NullJournal()
        self._recovered: dict[str, NodeRecord] = {}
        listeners = list(options.listeners)
        if durable is not None:
            now, wakeup = options.clock.now(), self._wakeup
            journal = Journal(durable.store, run, now, wakeup, options.lease_s, durable.epoch)
            journal.on_fenced = self._fence
            self._journal, self._recovered = journal, durable.recovered
            listeners.append(journal)
        self._listener: Listener = Listeners(listeners)
        self._masker = masking.NO_MASK  # the run's secrets, once resolved (inject.prepare)
        self._suspended: set[str] = set()
        self._nodes: dict[str, Node] = {n.id: n for n in plan.pipeline.nodes}
        limit = max(plan.pipeline.max_concurrency, 1)
        cap = options.max_concurrency
        self._limit = limit if cap is None else max(min(limit, cap), 1)
        self._executors = RunExecutors(plan.pipeline, run, options)
        self._context = Context(self)
        self._constructs = Constructs(self, self._context, plan, self._limit, durable)
        self._ready: deque[Start] = deque()
        self._tasks: set[asyncio.Task[None]] = set()
        self._failures: list[str] = []
        self._finished = False
        self._cancelling = False
        self._draining = False
        self._fenced = False
        self._error_handled = {e.source for e in plan.pipeline.edges if e.port == "error"}

    # -- what others see ----------------------------------------------------------------
    @property
    def run(self) -> RunRecord:
        return self._run

    @property
    def finished(self) -> bool:
        return self._finished

    @property
    def pipeline(self) -> Pipeline:
        return self._pipeline

    @property
    def nodes(self) -> Mapping[str, Node]:
        return self._nodes

    @property
    def options(self) -> EngineOptions:
        return self._options

    @property
    def listener(self) -> Listener:
        return self._listener

    @property
    def journal(self) -> RunJournal:
        return self._journal

    @property
    def executors(self) -> RunExecutors:
        return self._executors

    @property
    def cancelling(self) -> bool:
        return self._cancelling

    @property
    def fenced(self) -> bool:
        """Another executor has claimed the run since this one did: the store refused a
        commit, every step was stopped, nothing more is written (`execute` raises)."""
        return self._fenced

    # -- the loop ---------------------------------------------------------------------
    async def execute(self) -> RunRecord:
        """Run to the end, or until only suspended nodes are left (state `Suspended`).

        Raises `Fenced` when the store refuses a commit because another executor has
        claimed the run meanwhile (its lease moved on): every running step was stopped
        at once (its process group ended, as `abandon` does) and nothing more was
        written. The run is the other executor's: `run` is only what this one saw.

        Once it returns, the run's containers are removed if it ended; a run left for a
        resume (drained, suspended, fenced) keeps them."""
        try:
            return await self._execute()
        except Fenced:
            await self._halt()
            raise
        finally:
            if self._executors.holding:  # a run without containers ends without a pause
                ended = self._finished and not self._fenced
                await asyncio.shield(self._executors.close(ended=ended))

    async def _execute(self) -> RunRecord:
        prepared = await inject.prepare(self._pipeline, self._options, self._listener)
        if isinstance(prepared, str):  # why it cannot start
            self._end_run(State.ERROR, prepared)
            await self._flush()
            return self._run
        self._options, self._masker, self._listener = prepared
        if self._run.started_at is None:
            self._run.started_at = self._options.clock.now()
        self._run_state(State.RUNNING)
        root = planner.open_region(self._plan.regions[ROOT], (), self._context.check)
        for member in root.region.members:
            if root.key(member) not in self._run.nodes:
                self._record(root, member, State.NOT_EXECUTED)
        self.apply(planner.enter(root, self._run.input))
        timeout = self._pipeline.timeout_s or self._options.run_timeout_s
        try:
            async with asyncio.timeout(timeout):
                await self._drive()
        except TimeoutError:
            await self._stop(f"the run timed out after {timeout:g} s", State.ERROR)
        except asyncio.CancelledError:
            with contextlib.suppress(Fenced):  # cancelled it is, fenced or not
                await asyncio.shield(self._stop("cancelled", State.CANCELLED))
            raise
        await self._flush()
        return self._run

    async def _drive(self) -> None:
        while not self._finished:
            starting = self._pump()
            if self._journal.due(self._options.clock.now()):
                await self._flush()
            if starting and not (self._cancelling or self._draining or self._finished):
                for start, node in starting:  # their attempt is durable now: run it
                    self._spawn(attempts.run_node(self, start, node))
                continue
            if self._finished:
                return
            if self._draining and not self._tasks:
                self._leave()
                return
            if not self._ready and not self._tasks and not self._cancelling:
                self._idle()
                return
            await self._wait()

    def drain(self) -> None:
        """Start nothing new; once running nodes end, leave the run for another process
        (or a restart) to resume: its state stays as it is and its lease is released."""
        self._draining = True
        self._wakeup.set()

    async def abandon(self) -> None:
        """Stop running nodes now (they run again on resume) and leave the run."""
        self._draining = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        self._wakeup.set()

    def _fence(self) -> None:
        """The store refused a commit (told by the journal): stop every step now."""
        self._fenced = self._draining = True
        for task in list(self._tasks):
            if not task.cancelling():  # cancelled again, it would not wait for its steps
                task.cancel()
        self._wakeup.set()

    async def _halt(self) -> None:
        """Once fenced: wait for the cancelled steps to end (their process groups)."""
        self._fence()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    def _leave(self) -> None:
        self._journal.release()

    def _idle(self) -> None:
        """Nothing runs and nothing is ready: suspended on approvals, or stuck (a bug)."""
        if self._suspended:
            self._run_state(State.SUSPENDED)
            self._journal.release()
        else:
            self._end_run(State.ERROR, "internal error: the run stalled with nothing to run")

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._journal.tick_s):
                await self._wakeup.wait()
        self._wakeup.clear()

    async def _flush(self) -> None:
        await self._journal.flush(self._options.clock.now())

    async def commit(self) -> None:
        """Commit what changed now (a retry's attempt, before it acts)."""
        await self._flush()

    def _pump(self) -> list[tuple[Start, Node]]:
        """Run what is ready inline, and begin the first attempt of each node with
        effects that may start now. Those are returned, to be spawned only once their
        attempt is committed (the write-ahead rule): all of them in one commit."""
        starting: list[tuple[Start, Node]] = []
        while self._ready and not self._cancelling and not self._draining:
            start = self._ready[0]
            recovered = self._recovered.pop(start.region.key(start.node), None)
            if recovered is not None:
                self._ready.popleft()
                self._replay(start, recovered)
                continue
            node = self._nodes[start.node]
            inline = attempts.inline_type(node)
            if inline is None and len(self._tasks) + len(starting) >= self._limit:
                break
            self._ready.popleft()
            if inline is not None:
                attempts.run_inline(self, start, node, inline)
            else:
                attempts.begin(self, self.record_of(start))
                starting.append((start, node))
        return starting

    def _replay(self, start: Start, record: NodeRecord) -> None:
        """A node a previous process finished: its outcome comes from the store."""
        if record.state is State.ERROR and not record.ports:
            self._failures.append(f"{record.key}: {record.error}")
            self.apply(planner.finish(start.region, start.node, (), None, failed=True))
        else:
            self.apply(planner.finish(start.region, start.node, record.ports, record.output))

    def _spawn(self, work: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if self._fenced and not task.cancelled():
            task.exception()  # a fenced commit's, maybe: `execute` raises it, not the task
        self._wakeup.set()

    async def cancel(self, reason: str = "cancelled") -> None:
        """Stop the run: running steps get SIGTERM, then SIGKILL; states become Cancelled.
        A run fenced meanwhile is only stopped (its `execute` raises `Fenced`)."""
        with contextlib.suppress(Fenced):
            await self._stop(reason, State.CANCELLED)

    async def _stop(self, reason: str, state: State) -> None:
        if self._finished:
            return
        self._cancelling = True
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
        for record in self._run.nodes.values():
            if record.state in (State.WAITING, State.RUNNING, State.SUSPENDED):
                self.set_state(record, State.CANCELLED)
        self._end_run(state, reason)
        await self._flush()

    # -- actions from the planner -----------------------------------------------------
    def apply(self, actions: list[planner.Action]) -> None:
        for action in actions:
            if isinstance(action, Start):
                if action.region.key(action.node) in self._recovered:
                    self._ready.append(action)  # replayed in _pump, not run
                    continue
                record = self._record(action.region, action.node, State.WAITING)
                record.input = action.input
                self._ready.append(action)
            elif isinstance(action, planner.Skip):
                self._record(action.region, action.node, action.state)
            else:
                self._constructs.region_done(action.region)

    def _record(self, region: RegionRun, node_id: str, state: State) -> NodeRecord:
        """The node's record in this region, created on first use, moved to `state`."""
        key = region.key(node_id)
        record = self._run.nodes.get(key)
        if record is None:
            node = self._nodes[node_id]
            record = NodeRecord(key=key, node_id=node_id, type=node.type, scope=region.scope)
            record.steps = [StepRecord(step.name) for step in node.steps]
            self._run.nodes[key] = record
        elif state is record.state:
            return record
        if state is not record.state:
            record.state = transition(record.state, state)
        if state.finished:
            record.ended_at = self._options.clock.now()
        self._listener.node_changed(self._run, record)
        return record

    def set_state(self, record: NodeRecord, state: State) -> None:
        record.state = transition(record.state, state)
        now = self._options.clock.now()
        if state is State.RUNNING and record.started_at is None:
            record.started_at = now
        if state.finished:
            record.ended_at = now
        self._listener.node_changed(self._run, record)

    # -- what a node's attempt may do --------------------------------------------------
    def record_of(self, start: Start) -> NodeRecord:
        return self._run.nodes[start.region.key(start.node)]

    def node_context(self, node: Node, start: Start, record: NodeRecord) -> NodeContext:
        return self._context.for_node(node, start, record)

    async def decision(self, node: Node, start: Start, record: NodeRecord) -> NodeResult:
        return await self._constructs.wait(node, start, record)

    def suspend(self, record: NodeRecord) -> None:
        self._suspended.add(record.key)

    # -- results ----------------------------------------------------------------------

    def node_returned(self, start: Start, record: NodeRecord, result: NodeResult) -> None:
        result = self._masker.result(result)  # no secret value leaves a node
        node_type = self._nodes[start.node].type
        if node_type == SPLIT and "out" in result.ports:
            self._constructs.fan_out(start, record, result.output)
        elif node_type == LOOP and "continue" in result.ports:
            self._constructs.iterate(start, record, result.output, 0)
        elif result.ports == ("error",) and start.node not in self._error_handled:
            self.node_failed(start, record, _error_text(result.output))
        else:
            self.complete(start, record, result)

    def complete(self, start: Start, record: NodeRecord, result: NodeResult) -> None:
        record.output, record.ports = result.output, result.ports
        if result.ports == ("error",):
            record.error = _error_text(result.output)
            self.set_state(record, State.ERROR)
        else:
            self.set_state(record, State.SUCCESS)
        self.apply(planner.finish(start.region, start.node, result.ports, result.output))

    def node_failed(self, start: Start, record: NodeRecord, message: str) -> None:
        record.error = message
        self._failures.append(f"{record.key}: {message}")
        self.set_state(record, State.ERROR)
        self.apply(planner.finish(start.region, start.node, (), None, failed=True))

    def root_done(self) -> None:
        if self._failures:
            first = self._failures[0]
            more = len(self._failures) - 1
            self._end_run(State.ERROR, first + (f" (and {more} more)" if more else ""))
        else:
            self._end_run(State.SUCCESS, None)

    def _end_run(self, state: State, error: str | None) -> None:
        if self._finished:
            return
        self._finished = True
        self._run.error = error
        self._run.ended_at = self._options.clock.now()
        self._run_state(state)
        self._wakeup.set()

    def _run_state(self, state: State) -> None:
        self._run.state = state
        self._listener.run_changed(self._run)


def _error_text(output: Any) -> str:
    if isinstance(output, dict) and "error" in output:
        return str(output["error"])
    return str(output)
