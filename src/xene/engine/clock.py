"""Time and ids, injected so that tests never sleep on a real clock."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Protocol


class Clock(Protocol):
    def now(self) -> float:
        """Seconds since the epoch (wall time, for records)."""
        ...

    def monotonic(self) -> float:
        """Seconds on a monotonic clock (for durations and deadlines)."""
        ...

    async def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lower case


_RANDOM = 1 << 80
_STEP = 1 << 64
_last: dict[int, int] = {}
"""The random part of the last id this process made in each of its recent milliseconds
(a few: ids for other times, from other clocks or threads, may come in between)."""
_KEPT = 64
_making = threading.Lock()


def new_id(at: float | None = None) -> str:
    """A time-sortable id (ULID layout: 48-bit milliseconds, 80 random bits), 26 chars.
    Ids made by one process in one millisecond sort in the order they were made (ULID's
    monotonic ids, but for the step)."""
    millis = int((time.time() if at is None else at) * 1000)
    random = int.from_bytes(os.urandom(10), "big")
    with _making:
        last = _last.get(millis)
        if last is not None and last + 1 < _RANDOM:
            # Above the last one by a random step up to 2**64, not by 1: ids of one
            # millisecond still differ from about their 14th character (a prefix names
            # one), and a millisecond holds some 100,000 of them before steps shrink.
            step = int.from_bytes(os.urandom(9), "big") % min(_RANDOM - last - 1, _STEP)
            random = last + 1 + step  # (os.urandom: `secrets` would import `random`)
        _last[millis] = random
        if len(_last) > _KEPT:
            del _last[next(iter(_last))]
    value = (millis << 80) | random
    chars = []
    for _ in range(26):
        value, digit = divmod(value, 32)
        chars.append(_ALPHABET[digit])
    return "".join(reversed(chars))


class WarpClock:
    """Time that runs `speed` times faster than the wall clock since `anchor`.

    For acceptance tests of real server processes (`XENE_CLOCK_WARP=600` makes a minute
    pass in a tenth of a second), where no fake clock can be handed in. Processes given
    the same anchor (`XENE_CLOCK_WARP_FROM`, seconds since the epoch) agree on the time.
    """

    def __init__(self, speed: float, anchor: float | None = None) -> None:
        self.speed = speed
        self.anchor = time.time() if anchor is None else anchor

    def now(self) -> float:
        return self.anchor + (time.time() - self.anchor) * self.speed

    def monotonic(self) -> float:
        return time.monotonic() * self.speed

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds / self.speed)


def clock_from_env() -> Clock:
    """`WarpClock` when `XENE_CLOCK_WARP` sets a speed (tests), else the system clock."""
    speed = os.environ.get("XENE_CLOCK_WARP")
    if not speed:
        return SystemClock()
    anchor = os.environ.get("XENE_CLOCK_WARP_FROM")
    return WarpClock(float(speed), float(anchor) if anchor else None)
