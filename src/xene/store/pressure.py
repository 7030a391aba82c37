"""Back-pressure: how many runs wait for an executor, and the trigger fires skipped
because too many did (part of `ServerStore`).

A server refuses new runs once its queue holds `ServerConfig.max_queued` of them: a
webhook or an API call is answered 503, a cron or filesystem fire is skipped and kept
here, one row per trigger (its last skip, why, and how many so far), so that a skipping
trigger costs one row, not one per fire, however long the overload lasts.
"""

from __future__ import annotations

from typing import Protocol

from xene.frozen import frozen


@frozen
class SkippedFire:
    """The last fire of a trigger that started nothing because the queue was full."""

    workflow: str
    trigger: str
    at: float
    reason: str
    count: int
    """Fires of this trigger skipped so far."""


class PressureStore(Protocol):
    """The back-pressure operations of a store (part of `ServerStore`)."""

    async def count_queued(self) -> int:
        """Runs waiting for an executor (state `WaitingForExecutor`), counted on an index."""

    async def record_skipped_fire(
        self, workflow: str, trigger: str, reason: str, at: float
    ) -> None:
        """Keep the trigger's latest skipped fire, and count it."""

    async def skipped_fires(self, workflow: str) -> list[SkippedFire]:
        """The latest skipped fire of each of the workflow's triggers that skipped one,
        by trigger name."""
