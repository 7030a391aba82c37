from __future__ import annotations

import threading
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


def _in_a_new_thread(expression: str, data: Any) -> Any:
    """Evaluate where no evaluator was built yet: each thread builds its own."""
    results: list[Any] = []
    thread = threading.Thread(target=lambda: results.append(evaluate(expression, data)))
    thread.start()
    thread.join()
    return results[0]


def test_a_new_threads_evaluator_orders_against_null_as_false() -> None:
    assert _in_a_new_thread("${missing} > 1 or 1 < ${missing}", {}) is False


def test_a_new_threads_evaluator_has_the_xene_functions() -> None:
    assert _in_a_new_thread("upper(${name})", {"name": "ada"}) == "ADA"


def test_an_evaluator_is_kept_per_thread() -> None:
    evaluate("1", {})
    assert expressions._evaluator() is expressions._evaluator()


def test_upper_makes_text_upper_case() -> None:
    assert evaluate("upper(${name})", {"name": "Ada 1"}) == "ADA 1"


def test_matches_on_a_missing_field_is_false() -> None:
    assert evaluate("matches(${missing}, 'None')", {}) is False


def test_an_ordering_with_a_missing_right_side_is_false() -> None:
    assert evaluate("1 < ${missing}", {}) is False


def test_a_non_text_expression_names_its_type() -> None:
    with pytest.raises(ExpressionError, match="an expression must be text, got int 3"):
        evaluate(3, {})  # type: ignore[arg-type]


def test_a_malformed_selector_says_how_to_write_one() -> None:
    with pytest.raises(ExpressionError, match=r"a dotted path of letters, digits, `_` and `-`$"):
        evaluate("${a.} > 1", {})


def test_a_selector_inside_quotes_says_to_compare_instead() -> None:
    message = r"^\"'\$\{name\}' == 'bob'\": .*compare instead, as in \$\{name\} == 'bob'$"
    with pytest.raises(ExpressionError, match=message):
        evaluate("'${name}' == 'bob'", {"name": "bob"})


def test_a_refused_node_names_the_expression_and_what_is_allowed() -> None:
    message = (
        r"^'\(\)\.x': attribute access .* is not allowed in an expression; use comparisons, "
        r"and/or/not, arithmetic, `in`, literals and \$\{field.path\}$"
    )
    with pytest.raises(ExpressionError, match=message):
        evaluate("().x", {})


def test_a_node_type_without_a_description_is_named_by_its_class() -> None:
    with pytest.raises(ExpressionError, match=r"^'\(yield\)': Yield is not allowed"):
        evaluate("(yield)", {})


def test_a_refused_call_names_the_expression_and_lists_the_functions() -> None:
    message = r"^'open\(1\)': only these functions may be called: len, abs, min, max, round"
    with pytest.raises(ExpressionError, match=message):
        evaluate("open(1)", {})


def test_an_unknown_name_names_the_expression_and_says_a_missing_field_is_null() -> None:
    message = r"^'amount < 1': unknown name 'amount'; .* \(a missing field is null\)$"
    with pytest.raises(ExpressionError, match=message):
        evaluate("amount < 1", {})


def test_an_evaluation_error_of_another_kind_gives_its_message() -> None:
    with pytest.raises(ExpressionError, match=r"^cannot evaluate .*: invalid literal for int\(\)"):
        evaluate("int(${s})", {"s": "abc"})
