"""Instants as a person writes them in a filter: `1764581400` (seconds since the epoch),
`2026-12-01T09:30` or `2026-12-01T09:30:00+01:00` (ISO 8601; without an offset, UTC)."""

from __future__ import annotations

from datetime import UTC, datetime

HOW = "give seconds since the epoch or ISO 8601, e.g. 2026-12-01T09:30:00Z"


def parse_time(text: str) -> float:
    """Seconds since the epoch; ValueError saying how to write one."""
    text = text.strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        when = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))  # RFC 3339: t, z
    except ValueError:
        raise ValueError(f"{text!r} is not a time: {HOW}") from None
    return (when if when.tzinfo else when.replace(tzinfo=UTC)).timestamp()
