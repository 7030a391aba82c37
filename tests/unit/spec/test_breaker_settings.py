"""`settings.circuit_breaker_threshold` and `circuit_breaker_window` of a flow."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from xene import ir

from .conftest import Errors

Load = Callable[..., ir.Workflow]


def flow(settings: str) -> str:
    """A one-node flow with these settings (the first on line 5)."""
    return "name: f\nnodes:\n  a: {type: std::log, config: {message: a}}\nsettings:\n" + settings


def test_a_threshold_makes_a_breaker_over_the_last_ten_runs(load: Load) -> None:
    pipeline = load(flow("  circuit_breaker_threshold: 0.5\n")).pipelines[0]
    assert pipeline.circuit_breaker == ir.CircuitBreaker(0.5, 10)


def test_the_window_is_a_setting(load: Load) -> None:
    text = flow("  circuit_breaker_threshold: 1\n  circuit_breaker_window: 3\n")
    assert load(text).pipelines[0].circuit_breaker == ir.CircuitBreaker(1.0, 3)


def test_without_a_threshold_there_is_no_breaker(load: Load) -> None:
    assert load(flow("  debug: true\n")).pipelines[0].circuit_breaker is None


@pytest.mark.parametrize(
    ("value", "got"), [("0", "a number (0)"), ("1.5", "a number (1.5)"), ("5", "a number (5)")]
)
def test_a_threshold_outside_0_to_1_is_refused(errors: Errors, value: str, got: str) -> None:
    assert errors(flow(f"  circuit_breaker_threshold: {value}\n")) == [
        "wf.yaml:5: settings.circuit_breaker_threshold: circuit_breaker_threshold is the "
        "fraction of recent runs that may fail before the pipeline pauses: a number above 0 "
        f"and at most 1 (0.5: half of the last 10 runs), got {got}"
    ]


def test_a_threshold_that_is_not_a_number_is_refused(errors: Errors) -> None:
    (problem,) = errors(flow("  circuit_breaker_threshold: on\n"))
    assert problem.startswith("wf.yaml:5: settings.circuit_breaker_threshold: ")
    assert problem.endswith("got a boolean (true)")


def test_a_window_without_a_threshold_is_refused(errors: Errors) -> None:
    assert errors(flow("  circuit_breaker_window: 20\n")) == [
        "wf.yaml:5: settings.circuit_breaker_window: circuit_breaker_window does nothing "
        "without circuit_breaker_threshold: add it (e.g. 0.5) or remove the window"
    ]


def test_a_window_of_no_runs_is_refused(errors: Errors) -> None:
    text = flow("  circuit_breaker_threshold: 0.5\n  circuit_breaker_window: 0\n")
    assert errors(text) == [
        "wf.yaml:6: settings.circuit_breaker_window: expected a whole number >= 1, got a number (0)"
    ]
