from __future__ import annotations

import pytest

from xene.core.expressions import ExpressionError
from xene.errors import NodeFailed
from xene.nodes import control
from xene.nodes.base import NodeResult

from .conftest import MakeCtx


def _condition(kind: str, value: object, field: str = "risk_score") -> dict[str, object]:
    return {"condition": {"type": kind, "field": field, "value": value}}


# std::switch


def test_switch_routes_to_true_when_greater_than_holds(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(_condition("greater_than", 0.8), {"risk_score": 0.9})
    assert control.switch(ctx).ports == ("true",)


def test_switch_routes_to_false_when_greater_than_fails(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(_condition("greater_than", 0.8), {"risk_score": 0.5})
    assert control.switch(ctx).ports == ("false",)


def test_switch_passes_its_input_on(make_ctx: MakeCtx) -> None:
    data = {"risk_score": 0.9}
    assert control.switch(make_ctx(_condition("greater_than", 0.8), data)).output is data


def test_switch_treats_a_missing_field_as_false(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(_condition("less_than", 100), {"other": 1})
    assert control.switch(ctx).ports == ("false",)


def test_switch_treats_incomparable_values_as_false(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(_condition("greater_than", 1), {"risk_score": "high"})
    assert control.switch(ctx).ports == ("false",)


def test_switch_less_than(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(_condition("less_than", 10), {"risk_score": 3})
    assert control.switch(ctx).ports == ("true",)


def test_switch_equals_on_a_nested_field(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(_condition("equals", "paid", "order.status"), {"order": {"status": "paid"}})
    assert control.switch(ctx).ports == ("true",)


def test_switch_matches_a_regular_expression(make_ctx: MakeCtx) -> None:
    ctx = make_ctx(_condition("matches", r"^ord-\d+$", "id"), {"id": "ord-42"})
    assert control.switch(ctx).ports == ("true",)


def test_switch_evaluates_a_top_level_expression(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"expression": "${risk_score} > 0.8"}, {"risk_score": 0.95})
    assert control.switch(ctx).ports == ("true",)


def test_switch_expression_on_a_missing_field_is_false(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"expression": "${risk_score} > 0.8"}, {})
    assert control.switch(ctx).ports == ("false",)


def test_switch_evaluates_an_expression_condition(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"condition": {"type": "expression", "value": "amount > 100"}}, {"amount": 5})
    assert control.switch(ctx).ports == ("false",)


def test_switch_with_a_broken_expression_fails_the_node(make_ctx: MakeCtx) -> None:
    with pytest.raises(ExpressionError, match="is not a valid expression"):
        control.switch(make_ctx({"expression": "${a} +"}, {}))


def test_switch_with_an_unknown_condition_type_fails_the_node(make_ctx: MakeCtx) -> None:
    with pytest.raises(NodeFailed, match="unknown"):
        control.switch(make_ctx(_condition("bigger", 1), {"risk_score": 2}))


# std::merge


def test_merge_wait_all_outputs_every_input_by_source(make_ctx: MakeCtx) -> None:
    inputs = {"a": 1, "b": 2}
    ctx = make_ctx({"strategy": "wait_all"}, scope={"inputs": inputs})
    assert control.merge(ctx).output == {"a": 1, "b": 2}


def test_merge_first_arrival_outputs_the_first_value(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"strategy": "first_arrival"}, scope={"inputs": {"b": "late?", "a": "x"}})
    assert control.merge(ctx).output == "late?"


def test_merge_any_is_first_arrival(make_ctx: MakeCtx) -> None:
    assert control.merge_strategy({"strategy": "any"}) == "first_arrival"


def test_merge_count_is_wait_n(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"strategy": "count", "count": 2}, scope={"inputs": {"a": 1, "b": 2}})
    assert control.merge(ctx).output == {"a": 1, "b": 2}


def test_merge_defaults_to_wait_all() -> None:
    assert control.merge_strategy({}) == "wait_all"


def test_merge_without_inputs_in_scope_passes_its_input_on(make_ctx: MakeCtx) -> None:
    assert control.merge(make_ctx({}, {"x": 1})).output == {"x": 1}


# std::split


def test_split_emits_the_list_on_out(make_ctx: MakeCtx) -> None:
    result = control.split(make_ctx({"field": "items"}, {"items": [1, 2]}))
    assert result == NodeResult([1, 2], ("out",))


def test_split_follows_a_dotted_field(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"field": "order.items"}, {"order": {"items": ["a"]}})
    assert control.split(ctx).output == ["a"]


def test_split_of_an_empty_list_emits_an_empty_list(make_ctx: MakeCtx) -> None:
    assert control.split(make_ctx({"field": "items"}, {"items": []})).output == []


def test_split_accepts_a_list_resolved_from_a_selector(make_ctx: MakeCtx) -> None:
    assert control.split(make_ctx({"field": [1, 2]}, {})).output == [1, 2]


def test_split_of_a_missing_field_is_a_handled_error(make_ctx: MakeCtx) -> None:
    result = control.split(make_ctx({"field": "items"}, {}))
    assert result.ports == ("error",)
    assert "missing" in result.output["error"]


def test_split_of_a_non_list_is_a_handled_error(make_ctx: MakeCtx) -> None:
    result = control.split(make_ctx({"field": "items"}, {"items": {"a": 1}}))
    assert result.ports == ("error",)
    assert "dict, not a list" in result.output["error"]


# std::loop


def test_loop_continues_below_max_iterations(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"max_iterations": 3}, {"x": 1}, scope={"iteration": 2})
    assert control.loop(ctx) == NodeResult({"x": 1}, ("continue",))


def test_loop_exits_at_max_iterations(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"max_iterations": 3}, {"x": 1}, scope={"iteration": 3})
    assert control.loop(ctx) == NodeResult({"x": 1}, ("exit",))


def test_loop_iteration_defaults_to_zero(make_ctx: MakeCtx) -> None:
    assert control.loop(make_ctx({"max_iterations": 1})).ports == ("continue",)


def test_loop_exits_when_the_until_expression_holds(make_ctx: MakeCtx) -> None:
    config = {"condition": {"until_expression": "${iteration} >= 2"}}
    assert control.loop(make_ctx(config, {}, scope={"iteration": 2})).ports == ("exit",)


def test_loop_continues_while_the_until_expression_fails(make_ctx: MakeCtx) -> None:
    config = {"until_expression": "iteration >= 2"}
    assert control.loop(make_ctx(config, {}, scope={"iteration": 1})).ports == ("continue",)


def test_loop_until_expression_reads_the_input(make_ctx: MakeCtx) -> None:
    config = {"until_expression": "${done}"}
    assert control.loop(make_ctx(config, {"done": True})).ports == ("exit",)


def test_loop_exits_when_the_while_expression_fails(make_ctx: MakeCtx) -> None:
    config = {"condition": {"while_expression": "${remaining} > 0"}}
    assert control.loop(make_ctx(config, {"remaining": 0})).ports == ("exit",)


def test_loop_max_iterations_caps_a_condition_that_never_holds(make_ctx: MakeCtx) -> None:
    config = {"max_iterations": 2, "until_expression": "false"}
    assert control.loop(make_ctx(config, {}, scope={"iteration": 2})).ports == ("exit",)


def test_loop_with_only_a_condition_has_a_default_cap(make_ctx: MakeCtx) -> None:
    scope = {"iteration": control.DEFAULT_MAX_ITERATIONS}
    ctx = make_ctx({"until_expression": "false"}, {}, scope=scope)
    assert control.loop(ctx).ports == ("exit",)


# std::wait


def test_wait_asks_for_a_decision_on_the_wait_port(make_ctx: MakeCtx) -> None:
    config = {"hook_id": "approve-order", "timeout_secs": 60, "timeout_action": "escalate"}
    result = control.wait(make_ctx(config, {}))
    assert result.ports == ("wait",)
    assert result.output == {
        "hook_id": "approve-order",
        "timeout_secs": 60,
        "timeout_action": "escalate",
        "metadata": {},
    }


def test_wait_copies_metadata_fields_from_the_input(make_ctx: MakeCtx) -> None:
    config = {"metadata_fields": ["amount", "customer.name", "absent"]}
    data = {"amount": 5, "customer": {"name": "Ada"}}
    metadata = control.wait(make_ctx(config, data)).output["metadata"]
    assert metadata == {"amount": 5, "customer.name": "Ada", "absent": None}


def test_wait_defaults_to_the_node_id_and_reject(make_ctx: MakeCtx) -> None:
    output = control.wait(make_ctx({}, {})).output
    assert (output["hook_id"], output["timeout_action"]) == ("n1", "reject")
