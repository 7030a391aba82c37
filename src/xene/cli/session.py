"""Executing runs from the command line: display, Ctrl-C, approvals, exit codes.

Shared by `xene run`, `xene resume` and `xene approve`, which all end up executing a
run in this process and reporting it the same way.
"""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from dataclasses import field
from typing import TYPE_CHECKING

from xene.cli.display import Display
from xene.core.records import RunRecord
from xene.core.states import State
from xene.frozen import slotted

if TYPE_CHECKING:
    from xene.engine.execution import Execution
    from xene.engine.options import EngineOptions
    from xene.store.base import Store

EXIT_OK, EXIT_FAILED, EXIT_INVALID, EXIT_SUSPENDED, EXIT_INTERRUPTED = 0, 1, 2, 3, 130
EXIT_STOPPED = 143
"""SIGTERM (128 + 15): the run was stopped and stays resumable."""
DEFAULT_GRACE_S = 10.0
"""On SIGTERM, how long running steps may take to finish (`docker stop` waits 10 s)."""


@slotted
class Settings:
    """What the command line sets for the runs it starts."""

    env: dict[str, str] = field(default_factory=dict)
    approvals: dict[str, str] = field(default_factory=dict)
    """`--approve NODE=DECISION`, decided in advance."""
    max_concurrency: int | None = None
    wait: bool = False
    """`--wait`: keep waiting for decisions made elsewhere instead of suspending."""
    grace_s: float = DEFAULT_GRACE_S
    """`--grace`: on SIGTERM, how long running steps may take to finish."""
    container_scope: str = ""
    """Who may sweep the runs' containers: the store's scope (`stores.scope_of`)."""


class Session:
    """Executes runs one after the other; Ctrl-C cancels the current one and stops."""

    def __init__(self, display: Display, settings: Settings, store: Store | None) -> None:
        self.display = display
        self.settings = settings
        self.store = store
        self.runs: list[RunRecord] = []
        self.found: list[RunRecord] = []
        """Runs an idempotency key named: reported, not executed."""
        self.interrupted = False
        self.stopped = False
        """SIGTERM: the current run was left unfinished, to be resumed."""
        self._cancelling: asyncio.Future[None] | None = None
        self._stopping: asyncio.Future[None] | None = None

    def options(self) -> EngineOptions:
        from xene.cli.run_approvals import make_approver
        from xene.engine.options import EngineOptions
        from xene.secrets.inject import store_source

        return EngineOptions(
            listeners=(self.display,),
            approver=make_approver(
                self.settings.approvals,
                self.display,
                store=self.store,
                wait=self.settings.wait,
            ),
            env=self.settings.env,
            secret_source=None if self.store is None else store_source(self.store, "the store"),
            max_concurrency=self.settings.max_concurrency,
            container_scope=self.settings.container_scope,
        )

    async def execute(self, execution: Execution) -> RunRecord:
        self.display.begin(execution.run)
        from xene.cli.cancel_watch import watching
        from xene.cli.stores import EXIT_REFUSED, CommandError
        from xene.store.base import Fenced

        with _on_signals(lambda: self._interrupt(execution), lambda: self._stop(execution)):
            async with watching(self.store, execution):  # `xene cancel` from elsewhere
                try:
                    run = await execution.execute()
                except Fenced as exc:  # its lease ran out (a suspended laptop?): not ours
                    raise CommandError(
                        f"run {execution.run.id} was taken over by another process (its "
                        "lease ran out while this one could not renew it): its steps here "
                        "were stopped; it goes on there (`xene show` says where)",
                        EXIT_REFUSED,
                    ) from exc
        if self._cancelling is not None:
            await self._cancelling  # its last commit (the run Cancelled) must land
        if self._stopping is not None:
            self._stopping.cancel()  # the run left before its grace period ran out
        self.display.end(run)
        if self.stopped and not run.state.finished:
            _report_stopped(run, self.store)
        if run.state is State.SUSPENDED:
            await self._report_suspended(run)
        self.runs.append(run)
        return run

    def _interrupt(self, execution: Execution) -> None:
        """Ctrl-C: cancel the run for good."""
        if self.interrupted:
            return
        self.interrupted = True
        print("\ncancelling: running steps get SIGTERM, then SIGKILL", file=sys.stderr)
        self._cancelling = asyncio.ensure_future(execution.cancel("interrupted"))

    def _stop(self, execution: Execution) -> None:
        """SIGTERM (a supervisor stopping us): start nothing new, give running steps the
        grace period, then stop them; the run stays unfinished, to be resumed. A second
        SIGTERM stops them at once."""
        if self.interrupted:
            return
        if self.stopped:
            print("stopping running steps now", file=sys.stderr)
            self._stopping = asyncio.ensure_future(execution.abandon())
            return
        self.stopped = True
        grace = self.settings.grace_s
        print(
            f"\nstopping (SIGTERM): running steps have {grace:g} s to finish, then they "
            "are stopped; the run stays unfinished, to be resumed",
            file=sys.stderr,
        )
        execution.drain()

        async def abandon_after_grace() -> None:
            await asyncio.sleep(grace)
            await asyncio.shield(execution.abandon())

        self._stopping = asyncio.ensure_future(abandon_after_grace())

    def existing(self, run: RunRecord, key: str) -> None:
        print(
            f"run {run.id} exists already for idempotency key {key!r} ({run.state}); "
            "not starting another",
            file=sys.stderr,
        )
        self.found.append(run)

    async def _report_suspended(self, run: RunRecord) -> None:
        if self.store is None:
            return
        waiting = [s for s in await self.store.list_approvals() if s.run_id == run.id]
        for approval in waiting:
            node = approval.node.split("[", 1)[0]
            print(
                f"⏸ {approval.node} waits for a decision (hook {approval.hook_id}):\n"
                f"    xene approve {approval.hook_id}    "
                "(or --reject, --escalate; add --data JSON, --reason TEXT)\n"
                f"  to decide in advance next time: xene run ... --approve {node}=approve",
                file=sys.stderr,
            )

    def exit_code(self) -> int:
        if self.interrupted:
            return EXIT_INTERRUPTED
        if self.stopped:
            return EXIT_STOPPED
        states = {run.state for run in self.runs}
        states |= {run.state for run in self.found if run.state.finished}
        if states - {State.SUCCESS, State.SUSPENDED}:
            return EXIT_FAILED
        return EXIT_SUSPENDED if State.SUSPENDED in states else EXIT_OK


def _report_stopped(run: RunRecord, store: Store | None) -> None:
    from xene.store.memory import MemoryStore

    if store is None or isinstance(store, MemoryStore):
        print(f"run {run.id} was stopped before it ended (nothing was kept)", file=sys.stderr)
        return
    print(
        f"run {run.id} was stopped before it ended; continue it with:\n    xene resume {run.id}",
        file=sys.stderr,
    )


class _on_signals:
    """Route SIGINT (cancel) and SIGTERM (stop, resumable) to callbacks while a run
    executes."""

    def __init__(self, interrupt: Callable[[], None], stop: Callable[[], None]) -> None:
        self.interrupt = interrupt
        self.stop = stop

    def __enter__(self) -> None:
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGINT, self.interrupt)
        loop.add_signal_handler(signal.SIGTERM, self.stop)

    def __exit__(self, *exc: object) -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
