"""Circuit-breaker operations of `MemoryStore` (`ServerStore`), beside its pipeline modes."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xene.core.states import PipelineMode, State
from xene.store.base import BreakerState

if TYPE_CHECKING:
    from xene.store.memory import _Run


class MemoryBreakerOps:
    """Mixed into `MemoryStore`, whose `__init__` makes these attributes."""

    _runs: dict[str, _Run]
    _modes: dict[tuple[str, str], PipelineMode]
    _breakers: dict[tuple[str, str], BreakerState]

    async def breaker_states(self, workflow: str) -> dict[str, BreakerState]:
        return {
            pipeline: self._breakers.get((w, pipeline), BreakerState())
            for (w, pipeline) in sorted(self._modes)
            if w == workflow
        }

    async def trip_breaker(self, workflow: str, pipeline: str, reason: str, at: float) -> bool:
        key = (workflow, pipeline)
        if self._modes.get(key, PipelineMode.ACTIVE) != PipelineMode.ACTIVE:
            return False
        self._modes[key] = PipelineMode.PAUSED
        armed = self._breakers.get(key, BreakerState()).armed_at
        self._breakers[key] = BreakerState(reason, at, armed)
        return True

    async def resume_pipeline(self, workflow: str, pipeline: str, at: float) -> None:
        self._modes[workflow, pipeline] = PipelineMode.ACTIVE
        self._breakers[workflow, pipeline] = BreakerState(armed_at=at)

    async def recent_outcomes(
        self, workflow: str, pipeline: str, since: float, limit: int
    ) -> list[State]:
        found: list[State] = []
        for run_id in sorted(self._runs, reverse=True):
            run = self._runs[run_id]
            new = run.new
            if (new.workflow, new.pipeline) != (workflow, pipeline) or new.created_at < since:
                continue
            if run.state.finished and run.state != State.CANCELLED:
                found.append(run.state)
        return found[:limit]
