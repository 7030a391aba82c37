"""How `xene show` and `xene logs` mark the attempts of a retried run: a header for each
part of a node's life, `── attempt 2 (retry by alice at 12:03:04) ──`.

A node's attempts come in segments: the run's first execution, then each retry that ran
the node again. A segment may hold several attempts (a retry policy): its header then
names them all (`attempts 1-3`).
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from xene.frozen import frozen
from xene.store.base import RetriedNode, RunRetry


@frozen
class Segment:
    first: int
    """The segment's first attempt."""
    last: int
    retry: RunRetry | None
    """The retry that began it; None for the run's first execution."""
    ended: RetriedNode | None
    """How the node was when the next retry began; None for the current segment."""

    def header(self, now: float | None = None) -> str:
        attempts = f"attempt {self.first}"
        if self.last > self.first:
            attempts = f"attempts {self.first}-{self.last}"
        if self.retry is not None:
            by = f"retry by {self.retry.by} at {clock_time(self.retry.at, now)}"
            attempts += f" ({by})"
        return f"── {attempts} ──"


def segments(retries: Sequence[RunRetry], key: str, attempt: int) -> list[Segment]:
    """The node's segments in which it ran, oldest first; none when no retry ran it
    again. `attempt` is its current (last) attempt number."""
    found: list[Segment] = []
    started, retry, touched = 1, None, False
    for later in retries:
        before = next((n for n in later.nodes if n.key == key), None)
        if before is None:
            continue
        touched = True
        if before.attempt >= started:
            found.append(Segment(started, before.attempt, retry, before))
        started, retry = before.attempt + 1, later
    if touched and attempt >= started:
        found.append(Segment(started, attempt, retry, None))
    return found


def clock_time(at: float, now: float | None = None) -> str:
    """`12:03:04` today, `2024-05-01 12:03:04` another day."""
    local = time.localtime(at)
    today = time.localtime(time.time() if now is None else now)
    if local[:3] == today[:3]:
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%Y-%m-%d %H:%M:%S", local)


def retry_line(retry: RunRetry) -> str:
    """`by alice at 2024-05-01 12:03:04, from build (build, test run again)`."""
    when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(retry.at))
    where = f", from {retry.from_node}" if retry.from_node else ""
    again = ", ".join(n.key for n in retry.nodes) or "nothing"
    return f"by {retry.by} at {when}{where} ({again} run again)"
