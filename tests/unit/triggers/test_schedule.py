"""Cron maths: when a schedule fires (pure, no clock)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from xene.spec.durations import normalize_cron
from xene.triggers.base import iso
from xene.triggers.schedule import fires_between, next_fire, previous_fire


def at(text: str) -> float:
    """Seconds since the epoch of an ISO time (UTC unless it says otherwise)."""
    moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def after(schedule: str, start: str, count: int = 3, tz: str | None = None) -> list[str]:
    """The next `count` fires of a schedule written as a user would, as ISO UTC."""
    expression, moment, found = normalize_cron(schedule), at(start), []
    for _ in range(count):
        moment = next_fire(expression, moment, tz)
        found.append(iso(moment))
    return found


def test_five_fields_fire_on_each_matching_minute() -> None:
    assert after("*/5 * * * *", "2024-05-01T12:03:00Z") == [
        "2024-05-01T12:05:00Z",
        "2024-05-01T12:10:00Z",
        "2024-05-01T12:15:00Z",
    ]


def test_next_fire_is_strictly_after_an_instant_that_fires() -> None:
    assert after("*/5 * * * *", "2024-05-01T12:05:00Z", 1) == ["2024-05-01T12:10:00Z"]


def test_six_fields_take_the_seconds_first() -> None:
    assert after("30 */10 * * * *", "2024-05-01T12:00:00Z", 2) == [
        "2024-05-01T12:00:30Z",
        "2024-05-01T12:10:30Z",
    ]


@pytest.mark.parametrize(
    ("descriptor", "expected"),
    [
        ("@hourly", "2024-05-01T13:00:00Z"),
        ("@daily", "2024-05-02T00:00:00Z"),
        ("@midnight", "2024-05-02T00:00:00Z"),
        ("@weekly", "2024-05-05T00:00:00Z"),
        ("@monthly", "2024-06-01T00:00:00Z"),
        ("@yearly", "2025-01-01T00:00:00Z"),
    ],
)
def test_descriptors(descriptor: str, expected: str) -> None:
    assert after(descriptor, "2024-05-01T12:03:00Z", 1) == [expected]


def test_every_fires_on_multiples_of_its_period_since_the_epoch() -> None:
    """Two servers started at different times compute the same instants."""
    assert after("@every 5m", "2024-05-01T12:03:17Z") == [
        "2024-05-01T12:05:00Z",
        "2024-05-01T12:10:00Z",
        "2024-05-01T12:15:00Z",
    ]
    assert after("@every 5m", "2024-05-01T12:04:59Z", 1) == ["2024-05-01T12:05:00Z"]


def test_every_accepts_fractions_of_a_second() -> None:
    assert next_fire("@every 0.5s", 10.2) == 10.5
    assert next_fire("@every 0.5s", 10.5) == 11.0


def test_an_every_period_that_does_not_divide_a_day_still_agrees_everywhere() -> None:
    start = at("2024-05-01T12:00:00Z")
    first = next_fire("@every 420s", start)
    assert first % 420 == 0
    assert next_fire("@every 420s", start + 100) == first


def test_a_timezone_keeps_local_time_across_daylight_saving() -> None:
    """09:00 in Paris is 08:00 UTC in winter and 07:00 UTC in summer."""
    assert after("0 9 * * *", "2024-03-30T12:00:00Z", 2, "Europe/Paris") == [
        "2024-03-31T07:00:00Z",
        "2024-04-01T07:00:00Z",
    ]
    assert after("0 9 * * *", "2024-03-29T12:00:00Z", 1, "Europe/Paris") == ["2024-03-30T08:00:00Z"]


def test_a_time_skipped_when_clocks_go_forward_fires_at_the_next_existing_time() -> None:
    """On 2024-03-31 Paris goes from 02:00 to 03:00: 02:30 fires at 03:00 local."""
    assert after("30 2 * * *", "2024-03-30T12:00:00Z", 2, "Europe/Paris") == [
        "2024-03-31T01:00:00Z",
        "2024-04-01T00:30:00Z",
    ]


def test_a_fixed_time_in_the_repeated_hour_fires_once_when_clocks_go_back() -> None:
    """On 2024-10-27 Paris shows 02:00-03:00 twice; a 02:30 schedule fires the first time."""
    assert after("30 2 * * *", "2024-10-26T12:00:00Z", 2, "Europe/Paris") == [
        "2024-10-27T00:30:00Z",
        "2024-10-28T01:30:00Z",
    ]


def test_an_hourly_schedule_follows_real_time_when_clocks_go_back() -> None:
    assert after("0 * * * *", "2024-10-26T23:30:00Z", 4, "Europe/Paris") == [
        "2024-10-27T00:00:00Z",
        "2024-10-27T01:00:00Z",
        "2024-10-27T02:00:00Z",
        "2024-10-27T03:00:00Z",
    ]


def test_previous_fire_includes_the_instant_itself() -> None:
    expression = normalize_cron("*/5 * * * *")
    assert iso(previous_fire(expression, at("2024-05-01T12:05:00Z"))) == "2024-05-01T12:05:00Z"
    assert iso(previous_fire(expression, at("2024-05-01T12:09:59Z"))) == "2024-05-01T12:05:00Z"
    assert previous_fire("@every 300s", at("2024-05-01T12:05:00Z")) == at("2024-05-01T12:05:00Z")
    assert previous_fire("@every 300s", at("2024-05-01T12:09:59Z")) == at("2024-05-01T12:05:00Z")


def test_previous_fire_skips_the_repeated_hour_of_a_fixed_time() -> None:
    moment = previous_fire("30 2 * * *", at("2024-10-27T03:00:00Z"), "Europe/Paris")
    assert iso(moment) == "2024-10-27T00:30:00Z"


@pytest.mark.parametrize("expression", ["*/5 * * * *", "@every 300s"])
def test_fires_between_excludes_the_start_and_includes_the_end(expression: str) -> None:
    found = fires_between(expression, at("2024-05-01T12:00:00Z"), at("2024-05-01T12:15:00Z"))
    assert [iso(moment) for moment in found] == [
        "2024-05-01T12:05:00Z",
        "2024-05-01T12:10:00Z",
        "2024-05-01T12:15:00Z",
    ]


def test_fires_between_keeps_the_newest_when_limited() -> None:
    found = fires_between(
        "@every 60s", at("2024-05-01T00:00:00Z"), at("2024-05-02T00:00:00Z"), limit=2
    )
    assert [iso(moment) for moment in found] == ["2024-05-01T23:59:00Z", "2024-05-02T00:00:00Z"]


def test_fires_between_an_empty_interval_is_empty() -> None:
    moment = at("2024-05-01T12:01:00Z")
    assert fires_between("*/5 * * * *", moment, moment + 60) == []


@pytest.mark.parametrize("name", ["Mars/Olympus", "../etc/passwd", ""])
def test_an_unknown_timezone_is_refused_with_an_example(name: str) -> None:
    with pytest.raises(ValueError, match="IANA name such as UTC"):
        next_fire("0 9 * * *", 0.0, name)


def test_an_invalid_expression_is_refused() -> None:
    with pytest.raises(ValueError, match="not valid"):
        next_fire("61 * * * *", 0.0)


def test_a_malformed_every_is_refused() -> None:
    with pytest.raises(ValueError, match="@every 300s"):
        next_fire("@every soon", 0.0)


def test_iso_shows_milliseconds_only_when_there_are_some() -> None:
    assert iso(at("2024-05-01T12:00:00Z")) == "2024-05-01T12:00:00Z"
    assert iso(at("2024-05-01T12:00:00Z") + 0.5) == "2024-05-01T12:00:00.500Z"
