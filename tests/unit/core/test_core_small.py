"""Selectors, retry maths, the transition table and state machines: pure, in microseconds."""

from __future__ import annotations

import pytest

from xene.core import selectors
from xene.core.fsm import EventRefused, fire
from xene.core.retry import backoff_ms, should_retry
from xene.core.states import IllegalTransition, State, can_transition, transition
from xene.spec.ir import FsmEvent, RetryPolicy, StateMachine

ROOTS = {"order": {"id": 7, "items": [{"sku": "a"}, {"sku": "b"}]}, "flag": True}


def lookup(root: str) -> object:
    return ROOTS[root]


def test_a_whole_string_selector_keeps_the_value_type() -> None:
    assert selectors.resolve("${order.id}", lookup) == 7


def test_selectors_inside_text_are_interpolated() -> None:
    assert selectors.resolve("order ${order.id}: ${flag}", lookup) == "order 7: true"


def test_list_indexes_and_missing_paths() -> None:
    assert selectors.resolve("${order.items[1].sku}", lookup) == "b"
    assert selectors.resolve("${order.nope}", lookup) is None
    assert selectors.resolve("x${order.nope}y", lookup) == "xy"


def test_nested_config_is_resolved_throughout() -> None:
    config = {"a": ["${order.id}", {"b": "${flag}"}], "c": 3}
    assert selectors.resolve(config, lookup) == {"a": [7, {"b": True}], "c": 3}


def test_mappings_and_lists_interpolate_as_json() -> None:
    assert selectors.resolve("items=${order.items}", lookup) == 'items=[{"sku":"a"},{"sku":"b"}]'


def test_find_in_names_where_each_selector_stands() -> None:
    found = list(selectors.find_in({"m": "${a.b}", "l": ["${c}"], "n": 1}))
    assert found == [("m", ("a", "b")), ("l[0]", ("c",))]


def test_an_unknown_root_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        selectors.resolve("${nobody}", lookup)


def test_retry_stops_after_max_attempts() -> None:
    policy = RetryPolicy(max_attempts=3)
    assert [should_retry(policy, n) for n in (1, 2, 3)] == [True, True, False]


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(initial_delay_ms=100, max_delay_ms=300, backoff_multiplier=2, jitter=False)
    assert [backoff_ms(policy, n, 0.5) for n in (1, 2, 3, 4)] == [100, 200, 300, 300]


def test_jitter_draws_between_half_and_the_whole_delay() -> None:
    policy = RetryPolicy(initial_delay_ms=1000, jitter=True)
    assert (backoff_ms(policy, 1, 0.0), backoff_ms(policy, 1, 0.999)) == (500, pytest.approx(999.5))


def test_the_transition_table_allows_what_it_lists_only() -> None:
    assert can_transition(State.RUNNING, State.SUCCESS)
    assert transition(State.RUNNING, State.SUCCESS) is State.SUCCESS
    with pytest.raises(IllegalTransition, match="Success -> Running"):
        transition(State.SUCCESS, State.RUNNING)


def test_final_states_are_finished() -> None:
    assert {s for s in State if s.finished} == {
        State.SUCCESS,
        State.ERROR,
        State.ERROR_CONFIGURING,
        State.CANCELLED,
        State.SKIPPED,
    }


LIGHT = StateMachine(
    name="light",
    initial_state="green",
    events=(FsmEvent("slow", "yellow", ("green",)), FsmEvent("stop", "red", ("yellow",))),
)


def test_an_allowed_event_moves_to_its_destination() -> None:
    assert fire(LIGHT, "green", "slow") == "yellow"


def test_a_refused_event_says_what_is_available() -> None:
    with pytest.raises(EventRefused, match="available now: slow") as refused:
        fire(LIGHT, "green", "stop")
    assert refused.value.available == ("slow",)


def test_a_machine_lists_its_states_in_order_of_appearance() -> None:
    assert LIGHT.states == ("green", "yellow", "red")
