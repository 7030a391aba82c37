"""Durations and cron schedules as written in definitions."""

from __future__ import annotations

import pytest

from xene.spec.durations import normalize_cron, parse_duration


@pytest.mark.parametrize(
    ("written", "seconds"),
    [(30, 30.0), (1.5, 1.5), ("45", 45.0), ("90s", 90.0), ("5m", 300.0), ("1h30m", 5400.0),
     ("250ms", 0.25), ("1d", 86400.0)],
)  # fmt: skip
def test_duration_is_read_in_seconds(written: object, seconds: float) -> None:
    assert parse_duration(written) == seconds


@pytest.mark.parametrize("written", ["soon", "5 minutes", "m5", "", True, [1], None])
def test_a_non_duration_is_refused(written: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(written)


def test_a_zero_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="more than zero"):
        parse_duration("0s")


def test_five_field_cron_is_kept() -> None:
    assert normalize_cron("*/5 * * * *") == "*/5 * * * *"


def test_six_field_cron_moves_seconds_last_for_croniter() -> None:
    assert normalize_cron("30 */5 * * * *") == "*/5 * * * * 30"


def test_cron_descriptor_is_kept() -> None:
    assert normalize_cron("@hourly") == "@hourly"


def test_every_descriptor_is_read_as_seconds() -> None:
    assert normalize_cron("@every 1h30m") == "@every 5400s"


def test_cron_with_a_field_out_of_range_is_refused() -> None:
    with pytest.raises(ValueError, match="not valid; check each field's range"):
        normalize_cron("0 25 * * *")


def test_cron_with_seven_fields_is_refused() -> None:
    with pytest.raises(ValueError, match="has 7 fields; use 5"):
        normalize_cron("0 0 0 * * * 2024")


def test_unknown_cron_descriptor_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown cron descriptor '@sometimes'"):
        normalize_cron("@sometimes")


def test_every_without_a_duration_is_refused() -> None:
    with pytest.raises(ValueError, match="needs a duration after @every"):
        normalize_cron("@every often")
