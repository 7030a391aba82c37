"""Cron maths: when a schedule fires. Pure: no clock, no asyncio, no store.

Expressions are in croniter's form, as the loaders store them in a cron trigger's
`params["cron"]` (see `xene.spec.durations.normalize_cron`): 5 fields, 6 fields with the
seconds LAST, a descriptor such as `@hourly`, or `@every <N>s`.

`@every Ns` fires at the multiples of N seconds since the epoch (not N seconds after
start-up), so every server computes the same instants and their fires deduplicate.

Other schedules are read in a timezone (IANA name, default UTC) through zoneinfo, so
`0 9 * * *` in `Europe/Paris` stays at 09:00 local time across daylight-saving changes.
When clocks go forward, a time that does not exist that day fires at the first existing
minute after it (02:30 becomes 03:00). When clocks go back, a schedule with a fixed hour
fires once, the first time the wall clock shows it; one whose hour field starts with `*`
(every hour, every 2 hours...) follows real time and fires in both repeated hours.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

_EVERY = re.compile(r"@every (\d+(?:\.\d+)?)s")
_HOUR_FIELD = 1
_WILDCARD_HOURS = frozenset({"@hourly"})


def zone(name: str | None) -> tzinfo:
    """The timezone called `name` (None: UTC); ValueError for an unknown name."""
    if name is None or name in ("UTC", "Z"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown timezone {name!r}; use an IANA name such as UTC, Europe/Paris "
            "or America/New_York"
        ) from None


def next_fire(expression: str, after: float, tz: str | None = None) -> float:
    """The first time strictly after `after` (seconds since the epoch) that fires."""
    period = _every(expression)
    if period is not None:
        at = (math.floor(after / period) + 1) * period
        return at if at > after else at + period
    return next(_walk(expression, after, tz, forward=True))


def previous_fire(expression: str, until: float, tz: str | None = None) -> float:
    """The last time at or before `until` that fires."""
    period = _every(expression)
    if period is not None:
        at = math.floor(until / period) * period
        return at if at <= until else at - period
    # Cron instants are whole seconds: walking back from half a second past `until`'s
    # second includes `until` itself when it fires.
    return next(_walk(expression, math.floor(until) + 0.5, tz, forward=False))


def fires_between(
    expression: str, after: float, until: float, tz: str | None = None, *, limit: int = 1000
) -> list[float]:
    """The fire times in (`after`, `until`], oldest first; only the newest `limit`."""
    found: list[float] = []
    at = until
    while len(found) < limit:
        at = previous_fire(expression, at, tz)
        if at <= after:
            break
        found.append(at)
        at = _just_before(expression, at)
    return found[::-1]


def _just_before(expression: str, at: float) -> float:
    """A time between the fire before `at` and `at` itself, to step back one fire."""
    period = _every(expression)
    return at - (1.0 if period is None else period / 2)  # cron instants are whole seconds


def _every(expression: str) -> float | None:
    if not expression.startswith("@every"):
        return None
    match = _EVERY.fullmatch(expression)
    if match is None or float(match.group(1)) <= 0:
        raise ValueError(f"{expression!r} is not a valid @every schedule, e.g. '@every 300s'")
    return float(match.group(1))


def _walk(expression: str, start: float, tz: str | None, *, forward: bool) -> Iterator[float]:
    """Fire times from `start` on (or back), leaving out the repeats of a fall-back hour."""
    where = zone(tz)
    try:
        cron = croniter(expression, datetime.fromtimestamp(start, where))
    except (ValueError, KeyError) as exc:
        raise ValueError(f"cron schedule {expression!r} is not valid: {exc}") from None
    step = cron.get_next if forward else cron.get_prev
    while True:
        at = step(float)
        if not _repeated_hour(expression, at, where):
            yield at


def _repeated_hour(expression: str, at: float, where: tzinfo) -> bool:
    """Does `at` fall in the second pass of a fall-back hour, for a fixed-hour schedule?"""
    if not datetime.fromtimestamp(at, where).fold:
        return False
    if expression.startswith("@"):
        return expression not in _WILDCARD_HOURS
    return not expression.split()[_HOUR_FIELD].startswith("*")
