from __future__ import annotations

from typing import Any

import pytest

from xene.core import expressions
from xene.core.expressions import ExpressionError, check, evaluate


def test_a_bare_selector_names_a_field_of_the_input() -> None:
    assert evaluate("${risk_score} > 0.8", {"risk_score": 0.9}) is True


def test_a_selector_path_reaches_nested_fields_and_list_items() -> None:
    data = {"order": {"items": [{"sku": "a1"}]}}
    assert evaluate("${order.items[0].sku} == 'a1'", data) is True


def test_a_missing_field_is_none() -> None:
    assert evaluate("${missing}", {"other": 1}) is None


def test_ordering_against_a_missing_field_is_false() -> None:
    assert evaluate("${missing} > 0.8", {}) is False


def test_a_selector_falls_back_to_extra_names() -> None:
    assert evaluate("${iteration} >= 3", {}, {"iteration": 3}) is True


def test_the_input_wins_over_an_extra_name_of_the_same_name() -> None:
    assert evaluate("${iteration}", {"iteration": "from input"}, {"iteration": 0}) == "from input"


def test_a_selector_falls_back_to_the_lookup_for_node_ids() -> None:
    def lookup(root: str) -> Any:
        if root == "fetch":
            return {"status": 200}
        raise KeyError(root)

    assert evaluate("${fetch.status} == 200", {}, lookup=lookup) is True


def test_an_unknown_lookup_root_is_none() -> None:
    def lookup(root: str) -> Any:
        raise KeyError(root)

    assert evaluate("${nowhere.x}", {}, lookup=lookup) is None


def test_input_without_a_lookup_names_the_data() -> None:
    assert evaluate("${input.amount} * 2", {"amount": 21}) == 42


def test_a_plain_identifier_names_an_extra_name() -> None:
    assert evaluate("iteration >= 3", {}, {"iteration": 2}) is False


def test_a_plain_identifier_names_a_field_of_the_input() -> None:
    assert evaluate("amount < 10", {"amount": 5}) is True


def test_an_unknown_plain_identifier_is_an_error_that_suggests_a_selector() -> None:
    with pytest.raises(ExpressionError, match=r"unknown name 'amount'.*\$\{amount\}"):
        evaluate("amount < 10", {})


def test_boolean_operators_and_literals() -> None:
    assert evaluate("not false and (true or null)", {}) is True


def test_membership_in_a_list_literal() -> None:
    assert evaluate("${status} in ['paid', 'shipped']", {"status": "paid"}) is True


def test_arithmetic_and_functions() -> None:
    assert evaluate("len(${items}) + abs(-2) == max(3, 5)", {"items": [1, 2, 3]}) is True


def test_lower_and_matches_functions() -> None:
    assert evaluate("matches(lower(${name}), '^ada')", {"name": "ADA Lovelace"}) is True


def test_a_conditional_expression() -> None:
    assert evaluate("'big' if ${n} > 10 else 'small'", {"n": 11}) == "big"


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("__import__('os')", "only these functions may be called: len, abs"),
        ("().__class__.__bases__", r"attribute access \(write \$\{a.b\} for a nested field\)"),
        ("open('/etc/passwd')", "only these functions may be called"),
        ("[x for x in ${items}]", "ListComp is not allowed in an expression; use comparisons"),
        ("lambda: 1", "Lambda is not allowed"),
        ("x := 1", "is not a valid expression: invalid syntax"),
        ("2 ** 100000", "`\\*\\*` is not allowed"),
        ("${name}.upper()", "only these functions may be called"),
        ("max(1, key=abs)", "only these functions may be called"),
    ],
)
def test_unsafe_expressions_are_refused(expression: str, message: str) -> None:
    with pytest.raises(ExpressionError, match=message):
        evaluate(expression, {"items": [1], "name": "a"})


def test_a_statement_is_refused() -> None:
    assert check("a = 1") == "'a = 1' must be one expression, not a statement"


def test_two_expressions_are_refused_as_statements() -> None:
    assert check("1; 2") == "'1; 2' must be one expression, not a statement"


def test_check_accepts_a_valid_expression() -> None:
    assert check("${a.b} > 1 and iteration < 3") is None


def test_check_reports_a_syntax_error() -> None:
    assert "not a valid expression" in (check("${a} >") or "")


def test_check_reports_an_empty_expression() -> None:
    assert "empty" in (check("  ") or "")


def test_check_reports_a_non_text_expression() -> None:
    assert "must be text" in (check(3) or "")  # type: ignore[arg-type]


def test_check_reports_a_malformed_selector() -> None:
    assert "malformed" in (check("${a.} > 1") or "")


def test_a_selector_inside_quotes_is_refused() -> None:
    assert "inside quotes" in (check("'${name}' == 'bob'") or "")


def test_a_type_error_at_evaluation_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="cannot evaluate"):
        evaluate("${a} + 1", {"a": "text"})


def test_division_by_zero_is_an_expression_error() -> None:
    with pytest.raises(ExpressionError, match="ZeroDivisionError"):
        evaluate("1 / ${n}", {"n": 0})


def test_expression_error_is_a_value_error() -> None:
    assert issubclass(ExpressionError, ValueError)


def test_the_parsed_form_is_cached_per_expression() -> None:
    evaluate("${cached} == 1", {"cached": 1})
    before = expressions._compile.cache_info().hits
    evaluate("${cached} == 1", {"cached": 2})
    assert expressions._compile.cache_info().hits == before + 1


def test_non_mapping_data_still_resolves_extra_names() -> None:
    assert evaluate("${iteration} == 0", [1, 2], {"iteration": 0}) is True
