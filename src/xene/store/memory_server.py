"""`ServerStore` operations of `MemoryStore` (applied workflows, queued runs, claims,
retry, cancel requests), kept beside it so that memory.py stays the `Store` alone."""

from __future__ import annotations

import time
from collections.abc import Collection
from typing import TYPE_CHECKING

from xene.core.states import PipelineMode, State
from xene.store import retries, wakeups
from xene.store.base import AppliedWorkflow, BreakerState, RetryRequest, RunRetry
from xene.store.server_roles import Labels

if TYPE_CHECKING:
    from xene.store.memory import _Run


class MemoryServerOps:
    """Mixed into `MemoryStore`, whose `__init__` makes these attributes."""

    _runs: dict[str, _Run]
    _workflows: dict[str, AppliedWorkflow]
    _modes: dict[tuple[str, str], PipelineMode]
    _breakers: dict[tuple[str, str], BreakerState]
    wakeups: wakeups.LocalWakeups

    # -- workflows and pipeline modes ---------------------------------------------------
    async def apply_workflow(
        self, name: str, text: str, format: str, filename: str, at: float
    ) -> tuple[AppliedWorkflow, bool]:
        old = self._workflows.get(name)
        if old is not None and old.text == text:
            return old, False
        version = 1 if old is None else old.version + 1
        new = AppliedWorkflow(name, text, format, filename, version, at)
        self._workflows[name] = new
        return new, True

    async def get_workflow(self, name: str) -> AppliedWorkflow | None:
        return self._workflows.get(name)

    async def workflow_and_modes(
        self, name: str
    ) -> tuple[AppliedWorkflow, dict[str, PipelineMode]] | None:
        applied = self._workflows.get(name)
        return None if applied is None else (applied, await self.pipeline_modes(name))

    async def list_workflows(self) -> list[AppliedWorkflow]:
        return [self._workflows[name] for name in sorted(self._workflows)]

    async def delete_workflow(self, name: str) -> bool:
        self._modes = {key: mode for key, mode in self._modes.items() if key[0] != name}
        self._breakers = {key: b for key, b in self._breakers.items() if key[0] != name}
        return self._workflows.pop(name, None) is not None

    async def set_pipeline_mode(self, workflow: str, pipeline: str, mode: PipelineMode) -> None:
        self._modes[workflow, pipeline] = mode

    async def pipeline_modes(self, workflow: str) -> dict[str, PipelineMode]:
        return {p: mode for (w, p), mode in sorted(self._modes.items()) if w == workflow}

    # -- queued runs --------------------------------------------------------------------
    async def claim_runs(
        self, owner: str, limit: int, lease_until: float, now: float, labels: Labels = ()
    ) -> list[str]:
        claimed: list[str] = []
        for run_id in sorted(self._runs):
            if len(claimed) >= limit:
                break
            run = self._runs[run_id]
            if run.finished or run.state == State.SUSPENDED or run.lease_until >= now:
                continue
            if not all(label in labels for label in run.new.labels):
                continue
            run.claimed(owner, lease_until)
            claimed.append(run_id)
        return claimed

    async def retry_run(self, run_id: str, request: RetryRequest) -> RunRetry | None:
        run = self._runs.get(run_id)
        if run is None or run.state not in retries.RETRYABLE:
            return None
        wanted = set(request.nodes)
        before = tuple(retries.retried(n) for key, n in run.nodes.items() if key in wanted)
        for key in wanted & run.nodes.keys():
            run.nodes[key] = retries.reset_node(run.nodes[key])
        for at, step in run.steps.items():
            if at[0] in wanted:
                run.steps[at] = retries.reset_step(step)
        log_seq = run.logs[-1][0] if run.logs else 0
        retry = RunRetry(
            len(run.retries) + 1, request.by, request.at, request.from_node, log_seq, before
        )
        run.retries.append(retry)
        run.state = State.WAITING
        run.claimed(request.owner, request.lease_until)  # a new epoch, as the SQL stores
        run.error, run.ended_at, run.cancel_requested = None, None, False
        self.wakeups.notify(wakeups.queued(run_id))
        return retry

    async def requeue_run(self, run_id: str) -> bool:
        run = self._runs.get(run_id)
        if run is None or run.state != State.SUSPENDED:
            return False
        run.state = State.WAITING
        run.claimed("", 0.0)  # a new epoch: the suspended execution writes nothing more
        self.wakeups.notify(wakeups.queued(run_id))
        return True

    async def request_cancel(self, run_id: str) -> bool:
        run = self._runs.get(run_id)
        if run is None or run.finished:
            return False
        if run.state == State.WAITING and run.owner == "":
            run.state, run.ended_at = State.CANCELLED, time.time()
        else:
            run.cancel_requested = True
        self.wakeups.notify(wakeups.cancel_requested(run_id))
        return True

    async def cancel_requested(self, run_id: str) -> bool:
        run = self._runs.get(run_id)
        return run is not None and run.cancel_requested

    async def cancels_requested(self, run_ids: Collection[str]) -> set[str]:
        return {
            i for i in run_ids if (run := self._runs.get(i)) is not None and run.cancel_requested
        }

    async def count_runs(self) -> dict[State, int]:
        counts: dict[State, int] = {}
        for run in self._runs.values():
            counts[run.state] = counts.get(run.state, 0) + 1
        return counts
