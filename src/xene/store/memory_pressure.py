"""Back-pressure operations of `MemoryStore` (`PressureStore`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from xene.core.states import State
from xene.store.pressure import SkippedFire

if TYPE_CHECKING:
    from xene.store.memory import _Run


class MemoryPressureOps:
    """Mixed into `MemoryStore`, whose `__init__` makes these attributes."""

    _runs: dict[str, _Run]
    _skipped: dict[tuple[str, str], SkippedFire]

    async def count_queued(self) -> int:
        return sum(1 for run in self._runs.values() if run.state == State.WAITING)

    async def record_skipped_fire(
        self, workflow: str, trigger: str, reason: str, at: float
    ) -> None:
        known = self._skipped.get((workflow, trigger))
        count = 1 if known is None else known.count + 1
        self._skipped[workflow, trigger] = SkippedFire(workflow, trigger, at, reason, count)

    async def skipped_fires(self, workflow: str) -> list[SkippedFire]:
        return [fire for (w, _), fire in sorted(self._skipped.items()) if w == workflow]
