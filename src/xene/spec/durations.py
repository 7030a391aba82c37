"""Time values in definitions: durations (`90`, `"90s"`, `"1h30m"`) and cron schedules.

Pure parsing; each function returns the normalised value or raises ValueError with a
message written for the person editing the file.
"""

from __future__ import annotations

import re

_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}
_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d)")
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+")
_NUMBER = re.compile(r"\d+(?:\.\d+)?")

CRON_DESCRIPTORS = frozenset(
    {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
)
_FIVE_FIELDS = 5
_SIX_FIELDS = 6


def parse_duration(value: object) -> float:
    """Seconds from a number of seconds or a duration string such as `"5m"` or `"1h30m"`."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f'expected a duration such as 30, "90s", "5m" or "1h30m", got {value!r}')
    seconds = _parse_text(value.strip()) if isinstance(value, str) else float(value)
    if seconds <= 0:
        raise ValueError(f"a duration must be more than zero, got {value!r}")
    return seconds


def _parse_text(text: str) -> float:
    if _NUMBER.fullmatch(text):
        return float(text)
    if not _DURATION.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a duration; write seconds (30) or units such as "
            '"90s", "5m", "1h30m" (units: ms, s, m, h, d)'
        )
    return sum(float(num) * _UNITS[unit] for num, unit in _PART.findall(text))


def normalize_cron(expression: object) -> str:
    """Check a cron schedule and return it in croniter's form.

    Accepts 5 fields (`m h dom mon dow`), 6 fields with seconds FIRST
    (`s m h dom mon dow`, as in Go's cron and the original Xene), descriptors such as
    `@hourly`, and `@every <duration>`. Six-field schedules come back with seconds LAST,
    which is what croniter expects; `@every` comes back as `@every <seconds>s`.
    """
    if not isinstance(expression, str) or not expression.strip():
        raise ValueError(
            'a cron schedule is text such as "*/5 * * * *", "0 */5 * * * *" or "@hourly"'
        )
    text = " ".join(expression.split())
    if text.startswith("@every"):
        return _every(text)
    if text.startswith("@"):
        if text not in CRON_DESCRIPTORS:
            known = ", ".join(sorted(CRON_DESCRIPTORS))
            raise ValueError(f"unknown cron descriptor {text!r}; use one of {known}, @every 5m")
        return text
    fields = text.split(" ")
    if len(fields) not in (_FIVE_FIELDS, _SIX_FIELDS):
        raise ValueError(
            f"cron schedule {text!r} has {len(fields)} fields; use 5 (minute hour day month "
            "weekday) or 6 (second first, then the same five)"
        )
    if len(fields) == _SIX_FIELDS:
        fields = [*fields[1:], fields[0]]
    normalized = " ".join(fields)
    from croniter import croniter

    if not croniter.is_valid(normalized):
        raise ValueError(f"cron schedule {text!r} is not valid; check each field's range")
    return normalized


def _every(text: str) -> str:
    _, _, rest = text.partition(" ")
    try:
        seconds = parse_duration(rest)
    except ValueError:
        raise ValueError(
            f'{text!r} needs a duration after @every, such as "@every 5m" or "@every 1h30m"'
        ) from None
    return f"@every {seconds:g}s"
