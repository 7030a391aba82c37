"""Circuit-breaker maths: should a served pipeline pause itself after its recent runs?

A pipeline with `circuit_breaker_threshold: T` (and `circuit_breaker_window: N`, 10 by
default) trips when the runs that failed among its last N counted runs reach T x N: the
error rate over a window of N runs, where runs not made yet count as successes. So with
T=0.5 and N=10 the fifth failure among the last ten runs trips it (five in a row from the
start too), and a threshold at or below 1/N trips it at the first failure.

Counted runs are the ones that ended `Success`, `Error` or `ErrorConfiguring` (the last
two are failures); a cancelled run says nothing about the pipeline's health and is left
out. Pure: the server feeds it the final states the store holds for the pipeline's runs
since the breaker was last armed, newest first.
"""

from __future__ import annotations

from collections.abc import Sequence

from xene.core.states import State
from xene.frozen import frozen
from xene.ir import CircuitBreaker

FAILED = frozenset({State.ERROR.value, State.ERROR_CONFIGURING.value})
COUNTED = frozenset({State.SUCCESS.value, *FAILED})
"""Final states the breaker counts; `Cancelled` is not one."""


@frozen
class Trip:
    """Why a breaker tripped: `failed` of the last `window` runs, against `threshold`."""

    failed: int
    window: int
    threshold: float

    def __str__(self) -> str:
        return (
            f"{self.failed} of its last {self.window} runs failed "
            f"(circuit_breaker_threshold {self.threshold:g})"
        )


def should_trip(breaker: CircuitBreaker, states: Sequence[str]) -> Trip | None:
    """The trip, if the final `states` of the pipeline's runs (newest first) trip it."""
    recent = [state for state in states if state in COUNTED][: breaker.window]
    failed = sum(1 for state in recent if state in FAILED)
    # failed / window, not failed >= threshold * window: 3 / 10 equals 0.3 exactly, while
    # 0.3 * 10 is 3.0000000000000004 in floating point.
    if failed and failed / breaker.window >= breaker.threshold:
        return Trip(failed, breaker.window, breaker.threshold)
    return None
