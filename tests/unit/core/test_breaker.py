"""Circuit-breaker maths: failed runs among the last N reaching threshold x N trip it."""

from __future__ import annotations

from xene.core.breaker import Trip, should_trip
from xene.ir import CircuitBreaker

S, E, C, EC = "Success", "Error", "Cancelled", "ErrorConfiguring"
HALF = CircuitBreaker(0.5, 10)


def test_no_runs_do_not_trip() -> None:
    assert should_trip(HALF, []) is None


def test_failures_below_the_threshold_do_not_trip() -> None:
    assert should_trip(HALF, [E, E, E, E, S, S, S, S, S, S]) is None


def test_failures_reaching_the_threshold_trip() -> None:
    assert should_trip(HALF, [E, S, E, S, E, S, E, S, E, S]) == Trip(5, 10, 0.5)


def test_runs_not_made_yet_count_as_successes() -> None:
    assert should_trip(HALF, [E, E, E, E]) is None
    assert should_trip(HALF, [E, E, E, E, E]) == Trip(5, 10, 0.5)


def test_only_the_last_window_of_runs_counts() -> None:
    older_failures = [E] * 10
    assert should_trip(HALF, [S] * 6 + [E] * 4 + older_failures) is None


def test_cancelled_runs_are_not_counted() -> None:
    assert should_trip(CircuitBreaker(1.0, 3), [E, C, E, C, E]) == Trip(3, 3, 1.0)


def test_error_configuring_is_a_failure() -> None:
    assert should_trip(CircuitBreaker(1.0, 2), [EC, E]) == Trip(2, 2, 1.0)


def test_a_threshold_of_one_needs_every_run_of_the_window_to_fail() -> None:
    everything = CircuitBreaker(1.0, 3)
    assert should_trip(everything, [E, E, S]) is None
    assert should_trip(everything, [E, E, E]) == Trip(3, 3, 1.0)


def test_a_threshold_at_or_below_one_over_the_window_trips_at_the_first_failure() -> None:
    assert should_trip(CircuitBreaker(0.05, 10), [S, S, E]) == Trip(1, 10, 0.05)


def test_a_decimal_threshold_is_met_exactly() -> None:
    # 0.3 * 10 is 3.0000000000000004: three failures of ten must still trip 0.3.
    assert should_trip(CircuitBreaker(0.3, 10), [E, E, E]) == Trip(3, 10, 0.3)


def test_a_trip_says_why() -> None:
    assert str(Trip(5, 10, 0.5)) == "5 of its last 10 runs failed (circuit_breaker_threshold 0.5)"
