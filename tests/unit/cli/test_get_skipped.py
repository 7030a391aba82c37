"""`xene get WORKFLOW` names each trigger whose last fire was skipped (a full queue)."""

from __future__ import annotations

from typing import Any

from xene.cli import get

FIRE = {"at": 1_700_000_000.0, "reason": "the server's queue is full", "count": 3}


def _pipelines(skipped: dict[str, Any] | None) -> list[dict[str, Any]]:
    trigger = {"name": "nightly", "type": "cron", "enabled": True, "params": {}}
    return [{"name": "main", "mode": "active", "triggers": [{**trigger, "skipped": skipped}]}]


def test_a_skipped_fire_is_shown_with_its_count_and_reason() -> None:
    (line,) = get.skipped(_pipelines(FIRE))
    assert line.startswith("  trigger nightly: 3 fire(s) skipped, the last at ")
    assert line.endswith(": the server's queue is full")


def test_a_trigger_that_skipped_nothing_shows_no_line() -> None:
    assert get.skipped(_pipelines(None)) == []
