"""Selectors, retry maths, the transition table and state machines: pure, in microseconds."""

from __future__ import annotations

import datetime

import pytest

from xene.core import selectors
from xene.core.fsm import EventRefused, fire
from xene.core.retry import backoff_ms, should_retry
from xene.core.states import IllegalTransition, State, can_transition, transition
from xene.ir import FsmEvent, RetryPolicy, StateMachine

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
    with pytest.raises(KeyError, match="nobody"):
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


def test_false_inside_text_is_interpolated_as_false() -> None:
    assert selectors.resolve("flag=${v}", lambda root: False) == "flag=false"


def test_zero_inside_text_is_interpolated_not_dropped() -> None:
    assert selectors.resolve("n=${v}", lambda root: 0) == "n=0"


def test_a_whole_string_selector_with_spaces_around_keeps_the_value_type() -> None:
    assert selectors.resolve("  ${order.id} ", lookup) == 7


def test_text_without_a_selector_is_kept_as_it_is() -> None:
    assert selectors.resolve("cost: $5 {x}", lookup) == "cost: $5 {x}"


def test_a_tuple_in_config_is_resolved_to_a_list() -> None:
    assert selectors.resolve(("${order.id}", 1), lookup) == [7, 1]


def test_a_non_text_value_is_kept_as_it_is() -> None:
    assert selectors.resolve(3.5, lookup) == 3.5


def test_a_negative_index_counts_from_the_end() -> None:
    assert selectors.dig(ROOTS["order"], ("items", "-1", "sku")) == "b"


def test_an_index_past_the_end_leads_nowhere() -> None:
    assert selectors.dig([1, 2], ("2",)) is None


def test_an_index_before_the_start_leads_nowhere() -> None:
    assert selectors.dig([1, 2], ("-3",)) is None


def test_a_name_into_a_list_leads_nowhere() -> None:
    assert selectors.dig([1, 2], ("first",)) is None


def test_a_path_into_a_number_leads_nowhere() -> None:
    assert selectors.dig({"a": 1}, ("a", "b")) is None


def test_a_found_none_is_none() -> None:
    assert selectors.dig({"a": None}, ("a",)) is None


def test_split_path_reads_dots_and_indexes() -> None:
    assert selectors.split_path("a.b[0].c-d") == ("a", "b", "0", "c-d")


def test_find_lists_every_selector_of_a_string() -> None:
    assert list(selectors.find("${a.b} and ${ c }")) == [("a", "b"), ("c",)]


def test_find_in_names_nested_keys_with_dots() -> None:
    assert list(selectors.find_in({"a": {"b": ["${x}"]}})) == [("a.b[0]", ("x",))]


def test_find_in_a_top_level_list_names_the_index() -> None:
    assert list(selectors.find_in(["${x}"])) == [("[0]", ("x",))]


def test_mappings_interpolate_as_compact_json() -> None:
    assert selectors.resolve("m=${v}", lambda root: {"a": 1, "b": None}) == 'm={"a":1,"b":null}'


def test_an_index_from_the_end_reaches_the_first_item() -> None:
    assert selectors.dig([1, 2], ("-2",)) == 1


def test_a_digit_path_into_text_leads_nowhere() -> None:
    assert selectors.dig({"a": "text"}, ("a", "0")) is None


def test_a_name_ending_in_digits_into_a_list_leads_nowhere() -> None:
    assert selectors.dig([1, 2], ("X1",)) is None


def test_a_value_json_cannot_encode_is_interpolated_as_its_text() -> None:
    found = selectors.resolve("at=${v}", lambda root: {"when": datetime.date(2026, 1, 2)})
    assert found == 'at={"when":"2026-01-02"}'


def test_a_zero_backoff_stays_zero() -> None:
    policy = RetryPolicy(initial_delay_ms=0, jitter=False)
    assert backoff_ms(policy, 1, 0.5) == 0.0


def test_a_refused_event_names_the_event_state_and_machine() -> None:
    with pytest.raises(
        EventRefused, match="event 'stop' is not allowed in state 'green' of 'light'"
    ):
        fire(LIGHT, "green", "stop")


def test_a_state_without_events_has_none_available() -> None:
    with pytest.raises(EventRefused, match=r"available now: none$"):
        fire(LIGHT, "red", "slow")


def test_the_available_events_are_listed_with_commas() -> None:
    machine = StateMachine(
        name="m",
        initial_state="a",
        events=(FsmEvent("go", "b", ("a",)), FsmEvent("stop", "c", ("a",))),
    )
    with pytest.raises(EventRefused, match=r"available now: go, stop$"):
        fire(machine, "a", "jump")
