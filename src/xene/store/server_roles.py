"""The roles `xene serve` needs beyond `Store` (see roles.py): applied workflows with
their pipelines' modes and breakers, and the queue of runs its agents claim.

A run queued by a trigger is created with `owner=""` and `lease_until=0` and state
`WaitingForExecutor`; agents take runs with `claim_runs`. A run whose lease expired
(its agent or server died) is claimable again, which is how nothing is lost.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from xene.core.states import PipelineMode, State
    from xene.store.base import (
        AppliedWorkflow,
        BreakerState,
        RetryRequest,
        RunRetry,
        StoredRun,
    )


Labels = Sequence[str]


@runtime_checkable
class WorkflowStore(Protocol):
    """Workflows applied to a server, and each pipeline's mode and circuit breaker."""

    async def apply_workflow(
        self, name: str, text: str, format: str, filename: str, at: float
    ) -> tuple[AppliedWorkflow, bool]:
        """Create or update; `False` when the text equals the applied one (no new version)."""

    async def get_workflow(self, name: str) -> AppliedWorkflow | None: ...

    async def workflow_and_modes(
        self, name: str
    ) -> tuple[AppliedWorkflow, dict[str, PipelineMode]] | None:
        """`get_workflow` and `pipeline_modes` in one read (a webhook's, per delivery)."""

    async def list_workflows(self) -> list[AppliedWorkflow]: ...

    async def delete_workflow(self, name: str) -> bool:
        """Forget the workflow and its pipeline modes (its runs stay)."""

    async def set_pipeline_mode(self, workflow: str, pipeline: str, mode: PipelineMode) -> None: ...

    async def pipeline_modes(self, workflow: str) -> dict[str, PipelineMode]:
        """Modes set explicitly; a pipeline not listed is `active`."""

    async def breaker_states(self, workflow: str) -> dict[str, BreakerState]:
        """The breakers of the workflow's pipelines that have a mode set (others: default)."""

    async def trip_breaker(self, workflow: str, pipeline: str, reason: str, at: float) -> bool:
        """Pause an `active` pipeline, saying why; False (nothing changed) if it was not."""

    async def resume_pipeline(self, workflow: str, pipeline: str, at: float) -> None:
        """Mode `active`, and the breaker re-armed: its reason cleared, counting from `at`."""

    async def recent_outcomes(
        self, workflow: str, pipeline: str, since: float, limit: int
    ) -> list[State]:
        """Final states of the pipeline's runs created at or after `since` that ended
        other than `Cancelled`, newest first, at most `limit`."""


@runtime_checkable
class QueueStore(Protocol):
    """Runs queued for agents: claimed, requeued, retried, cancelled, counted."""

    async def claim_runs(
        self, owner: str, limit: int, lease_until: float, now: float, labels: Labels = ()
    ) -> list[str]:
        """Take up to `limit` runs that wait for an executor, or whose lease expired,
        oldest first; never a Suspended or finished run, nor one needing a label not in
        `labels` (the claimer's). Safe under concurrency (FOR UPDATE SKIP LOCKED on
        PostgreSQL, BEGIN IMMEDIATE on SQLite)."""

    async def claim_stored_runs(
        self, owner: str, limit: int, lease_until: float, now: float, labels: Labels = ()
    ) -> list[StoredRun]:
        """`claim_runs`, and each run taken as `get_run` would give it after the claim,
        in one transaction: an agent executes them without reading each again."""

    async def retry_run(self, run_id: str, request: RetryRequest) -> RunRetry | None:
        """A run that ended Error or Cancelled (compare-and-set): the nodes named go back
        to `NotExecuted` with their steps (attempts kept), the retry is recorded, and the
        run goes back to `WaitingForExecutor`, owned as asked, its error and cancel
        request cleared. None if the run is unknown or did not end that way."""

    async def requeue_run(self, run_id: str) -> bool:
        """A Suspended run whose decision came: back to `WaitingForExecutor`, unowned."""

    async def request_cancel(self, run_id: str) -> bool:
        """Ask whoever executes the run to cancel it; False if unknown or finished.
        A queued run nobody executes yet is cancelled at once."""

    async def cancel_requested(self, run_id: str) -> bool: ...

    async def cancels_requested(self, run_ids: Collection[str]) -> set[str]:
        """Which of the runs have had their cancel asked: one look for all the runs an
        agent's heartbeat names."""

    async def count_runs(self) -> dict[State, int]:
        """Runs by state, for metrics and `/ready`."""
