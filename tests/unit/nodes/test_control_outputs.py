"""The flow-control nodes' edge cases and messages, each pinned on its own."""

from __future__ import annotations

import pytest

from xene.core.expressions import ExpressionError
from xene.errors import NodeFailed
from xene.nodes import control

from .conftest import MakeCtx


def test_a_condition_without_a_field_tests_the_input_itself(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"condition": {"type": "equals", "value": 5}}, 5)
    assert control.switch(ctx).ports == ("true",)


def test_an_expression_condition_that_holds_routes_to_true(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"condition": {"type": "expression", "value": "amount > 1"}}, {"amount": 5})
    assert control.switch(ctx).ports == ("true",)


def test_an_expression_condition_reads_its_expression_key_first(make_ctx: MakeCtx) -> None:
    condition = {"type": "expression", "expression": "amount > 1", "value": "amount < 1"}
    assert control.switch(make_ctx({"condition": condition}, {"amount": 5})).ports == ("true",)


def test_an_expression_condition_without_an_expression_fails_as_empty(make_ctx: MakeCtx) -> None:
    with pytest.raises(ExpressionError, match=r"^the expression is empty"):
        control.switch(make_ctx({"condition": {"type": "expression"}}, {}))


def test_an_unknown_condition_type_lists_the_known_ones(make_ctx: MakeCtx) -> None:
    message = (
        "^std::switch: condition type 'bigger' is unknown; "
        "use one of greater_than, less_than, equals, matches, expression$"
    )
    with pytest.raises(NodeFailed, match=message):
        control.switch(make_ctx({"condition": {"type": "bigger", "field": "a"}}, {"a": 1}))


def test_matches_without_a_pattern_is_false(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"condition": {"type": "matches", "field": "a"}}, {"a": "None"})
    assert control.switch(ctx).ports == ("false",)


def test_greater_than_without_a_value_is_false(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"condition": {"type": "greater_than", "field": "a"}}, {"a": 1})
    assert control.switch(ctx).ports == ("false",)


def test_merge_strategy_of_an_unknown_name_is_wait_all() -> None:
    assert control.merge_strategy({"strategy": "most"}) == "wait_all"


def test_a_first_arrival_merge_with_no_inputs_outputs_none(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"strategy": "first_arrival"}, "x", scope={"inputs": {}})
    assert control.merge(ctx).output is None


def test_split_without_a_field_fans_out_over_the_input(make_ctx: MakeCtx) -> None:
    assert control.split(make_ctx({}, [1, 2])).output == [1, 2]


def test_split_of_a_missing_field_names_the_field_and_what_to_do(make_ctx: MakeCtx) -> None:
    result = control.split(make_ctx({"field": "items"}, {}))
    assert result.output == {
        "error": "std::split: field 'items' of the input is missing; point `field` at a list",
        "field": "items",
    }


def test_split_of_a_non_list_names_its_type(make_ctx: MakeCtx) -> None:
    result = control.split(make_ctx({"field": "n"}, {"n": 3}))
    assert result.output["error"] == (
        "std::split: field 'n' of the input is a int, not a list; point `field` at a list"
    )


def test_a_while_expression_reads_the_iteration(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"while_expression": "${iteration} < 2"}, {}, scope={"iteration": 1})
    assert control.loop(ctx).ports == ("continue",)
