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
from collections.abc import Awaitable
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
from xene.ir import Node
from xene.nodes.base import NodeResult
from xene.secrets import inject, masking

if TYPE_CHECKING:
    from xene.engine.durable import Durable


class Execution:
    def __init__(
        self,
        plan: Plan,
        run: RunRecord,
        options: EngineOptions,
        durable: Durable | None = None,
    ) -> None:
        self.plan = plan
        self.pipeline = plan.pipeline
        self.run = run
        self.options = options
        self.durable = durable
        self.wakeup = asyncio.Event()
        self.journal: RunJournal = NullJournal()
        self.recovered: dict[str, NodeRecord] = {}
        listeners = list(options.listeners)
        if durable is not None:
            journal = Journal(durable.store, run, options.clock.now(), self.wakeup, options.lease_s)
            self.journal, self.recovered = journal, durable.recovered
            listeners.append(journal)
        self.listener: Listener = Listeners(listeners)
        self.masker = masking.NO_MASK  # the run's secrets, once resolved (inject.prepare)
        self.suspended: set[str] = set()
        self.nodes: dict[str, Node] = {n.id: n for n in plan.pipeline.nodes}
        self.context = Context(self)
        self.constructs = Constructs(self)
        self.ready: deque[Start] = deque()
        self.tasks: set[asyncio.Task[None]] = set()
        self.failures: list[str] = []
        self.finished = False
        self.cancelling = False
        self.draining = False
        limit = max(plan.pipeline.max_concurrency, 1)
        cap = options.max_concurrency
        self.limit = limit if cap is None else max(min(limit, cap), 1)
        self._error_handled = {e.source for e in plan.pipeline.edges if e.port == "error"}

    # -- the loop ---------------------------------------------------------------------
    async def execute(self) -> RunRecord:
        """Run to the end, or until only suspended nodes are left (state `Suspended`)."""
        problem = await inject.prepare(self)
        if problem is not None:
            self._end_run(State.ERROR, problem)
            await self._flush()
            return self.run
        if self.run.started_at is None:
            self.run.started_at = self.options.clock.now()
        self._run_state(State.RUNNING)
        root = planner.open_region(self.plan.regions[ROOT], (), self.context.check)
        for member in root.region.members:
            if root.key(member) not in self.run.nodes:
                self._record(root, member, State.NOT_EXECUTED)
        self.apply(planner.enter(root, self.run.input))
        timeout = self.pipeline.timeout_s or self.options.run_timeout_s
        try:
            async with asyncio.timeout(timeout):
                await self._drive()
        except TimeoutError:
            await self._stop(f"the run timed out after {timeout:g} s", State.ERROR)
        except asyncio.CancelledError:
            await asyncio.shield(self._stop("cancelled", State.CANCELLED))
            raise
        await self._flush()
        return self.run

    async def _drive(self) -> None:
        while not self.finished:
            starting = self._pump()
            if self.journal.dirty:
                await self._flush()
            if starting and not (self.cancelling or self.draining or self.finished):
                for start, node in starting:  # their attempt is durable now: run it
                    self._spawn(attempts.run_node(self, start, node))
                continue
            if self.finished:
                return
            if self.draining and not self.tasks:
                self._leave()
                return
            if not self.ready and not self.tasks and not self.cancelling:
                self._idle()
                return
            await self._wait()

    def drain(self) -> None:
        """Start nothing new; once running nodes end, leave the run for another process
        (or a restart) to resume: its state stays as it is and its lease is released."""
        self.draining = True
        self.wakeup.set()

    async def abandon(self) -> None:
        """Stop running nodes now (they run again on resume) and leave the run."""
        self.draining = True
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        self.wakeup.set()

    def _leave(self) -> None:
        self.journal.release()

    def _idle(self) -> None:
        """Nothing runs and nothing is ready: suspended on approvals, or stuck (a bug)."""
        if self.suspended:
            self._run_state(State.SUSPENDED)
            self.journal.release()
        else:
            self._end_run(State.ERROR, "internal error: the run stalled with nothing to run")

    async def _wait(self) -> None:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self.journal.tick_s):
                await self.wakeup.wait()
        self.wakeup.clear()

    async def _flush(self) -> None:
        await self.journal.flush(self.options.clock.now())

    async def commit(self) -> None:
        """Commit what changed now (a retry's attempt, before it acts)."""
        await self._flush()

    def _pump(self) -> list[tuple[Start, Node]]:
        """Run what is ready inline, and begin the first attempt of each node with
        effects that may start now. Those are returned, to be spawned only once their
        attempt is committed (the write-ahead rule): all of them in one commit."""
        starting: list[tuple[Start, Node]] = []
        while self.ready and not self.cancelling and not self.draining:
            start = self.ready[0]
            recovered = self.recovered.pop(start.region.key(start.node), None)
            if recovered is not None:
                self.ready.popleft()
                self._replay(start, recovered)
                continue
            node = self.nodes[start.node]
            inline = attempts.inline_type(node)
            if inline is None and len(self.tasks) + len(starting) >= self.limit:
                break
            self.ready.popleft()
            if inline is not None:
                attempts.run_inline(self, start, node, inline)
            else:
                attempts.begin(self, self.record_of(start))
                starting.append((start, node))
        return starting

    def _replay(self, start: Start, record: NodeRecord) -> None:
        """A node a previous process finished: its outcome comes from the store."""
        if record.state is State.ERROR and not record.ports:
            self.failures.append(f"{record.key}: {record.error}")
            self.apply(planner.finish(start.region, start.node, (), None, failed=True))
        else:
            self.apply(planner.finish(start.region, start.node, record.ports, record.output))

    def _spawn(self, work: Awaitable[None]) -> None:
        task: asyncio.Task[None] = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        self.tasks.discard(task)
        self.wakeup.set()

    async def cancel(self, reason: str = "cancelled") -> None:
        """Stop the run: running steps get SIGTERM, then SIGKILL; states become Cancelled."""
        await self._stop(reason, State.CANCELLED)

    async def _stop(self, reason: str, state: State) -> None:
        if self.finished:
            return
        self.cancelling = True
        for task in list(self.tasks):
            task.cancel()
        if self.tasks:
            await asyncio.gather(*self.tasks, return_exceptions=True)
        for record in self.run.nodes.values():
            if record.state in (State.WAITING, State.RUNNING, State.SUSPENDED):
                self.set_state(record, State.CANCELLED)
        self._end_run(state, reason)
        await self._flush()

    # -- actions from the planner -----------------------------------------------------
    def apply(self, actions: list[planner.Action]) -> None:
        for action in actions:
            if isinstance(action, Start):
                if action.region.key(action.node) in self.recovered:
                    self.ready.append(action)  # replayed in _pump, not run
                    continue
                record = self._record(action.region, action.node, State.WAITING)
                record.input = action.input
                self.ready.append(action)
            elif isinstance(action, planner.Skip):
                self._record(action.region, action.node, action.state)
            else:
                self.constructs.region_done(action.region)

    def _record(self, region: RegionRun, node_id: str, state: State) -> NodeRecord:
        """The node's record in this region, created on first use, moved to `state`."""
        key = region.key(node_id)
        record = self.run.nodes.get(key)
        if record is None:
            node = self.nodes[node_id]
            record = NodeRecord(key=key, node_id=node_id, type=node.type, scope=region.scope)
            record.steps = [StepRecord(step.name) for step in node.steps]
            self.run.nodes[key] = record
        elif state is record.state:
            return record
        if state is not record.state:
            record.state = transition(record.state, state)
        if state.finished:
            record.ended_at = self.options.clock.now()
        self.listener.node_changed(self.run, record)
        return record

    def set_state(self, record: NodeRecord, state: State) -> None:
        record.state = transition(record.state, state)
        now = self.options.clock.now()
        if state is State.RUNNING and record.started_at is None:
            record.started_at = now
        if state.finished:
            record.ended_at = now
        self.listener.node_changed(self.run, record)

    # -- results ----------------------------------------------------------------------
    def record_of(self, start: Start) -> NodeRecord:
        return self.run.nodes[start.region.key(start.node)]

    def node_returned(self, start: Start, record: NodeRecord, result: NodeResult) -> None:
        result = self.masker.result(result)  # no secret value leaves a node
        node_type = self.nodes[start.node].type
        if node_type == SPLIT and "out" in result.ports:
            self.constructs.fan_out(start, record, result.output)
        elif node_type == LOOP and "continue" in result.ports:
            self.constructs.iterate(start, record, result.output, 0)
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
        self.failures.append(f"{record.key}: {message}")
        self.set_state(record, State.ERROR)
        self.apply(planner.finish(start.region, start.node, (), None, failed=True))

    def root_done(self) -> None:
        if self.failures:
            first = self.failures[0]
            more = len(self.failures) - 1
            self._end_run(State.ERROR, first + (f" (and {more} more)" if more else ""))
        else:
            self._end_run(State.SUCCESS, None)

    def _end_run(self, state: State, error: str | None) -> None:
        if self.finished:
            return
        self.finished = True
        self.run.error = error
        self.run.ended_at = self.options.clock.now()
        self._run_state(state)
        self.wakeup.set()

    def _run_state(self, state: State) -> None:
        self.run.state = state
        self.listener.run_changed(self.run)


def _error_text(output: Any) -> str:
    if isinstance(output, dict) and "error" in output:
        return str(output["error"])
    return str(output)
