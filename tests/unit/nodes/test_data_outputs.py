"""The data nodes' outputs and handled errors, pinned whole: message, port and details."""

from __future__ import annotations

import datetime
from typing import Any

import pytest

from xene.errors import NodeFailed
from xene.nodes import data

from .conftest import MakeCtx


def _json(make_ctx: MakeCtx, document: Any, **config: Any) -> Any:
    return data.json_dynamic(make_ctx(config, document))


# path helpers


def test_set_path_replaces_a_list_item_counted_from_the_end() -> None:
    assert data.set_path([1, 2], "[-2]", 9) == [9, 2]


def test_set_path_past_the_end_of_a_list_makes_a_mapping() -> None:
    assert data.set_path([1, 2], "[2]", 9) == {"2": 9}


def test_set_path_before_the_start_of_a_list_makes_a_mapping() -> None:
    assert data.set_path([1, 2], "-3", 9) == {"-3": 9}


def test_set_path_into_a_list_item_keeps_the_rest_of_the_item() -> None:
    assert data.set_path([{"a": 1}], "[0].b", 2) == [{"a": 1, "b": 2}]


def test_set_path_with_a_digit_name_into_a_mapping_sets_that_key() -> None:
    assert data.set_path({"a": 1}, "0", 2) == {"a": 1, "0": 2}


def test_set_path_with_a_name_ending_in_digits_into_a_list_makes_a_mapping() -> None:
    assert data.set_path([1], "X0", 2) == {"X0": 2}


def test_delete_path_of_an_empty_path_returns_the_data() -> None:
    original = {"a": 1}
    assert data.delete_path(original, "") is original


def test_delete_path_into_a_non_mapping_returns_the_data() -> None:
    assert data.delete_path([1], "a") == [1]


# std::map


def test_map_without_mappings_outputs_an_empty_object(make_ctx: MakeCtx) -> None:
    assert data.map_fields(make_ctx({}, {"a": 1})).output == {}


# std::concat


def test_concat_reads_a_value_part_as_it_is(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"parts": [{"value": "v"}, {"field": "a"}], "separator": "-"}, {"a": 1})
    assert data.concat(ctx).output == {"a": 1, "result": "v-1"}


def test_concat_writes_false_as_false(make_ctx: MakeCtx) -> None:
    assert data.concat(make_ctx({"parts": [False]})).output == {"result": "false"}


def test_concat_writes_objects_as_compact_json(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"parts": [{"field": "o"}]}, {"o": {"a": [1, 2]}})
    assert data.concat(ctx).output["result"] == '{"a":[1,2]}'


def test_concat_writes_values_json_cannot_encode_as_text(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"parts": [{"field": "d"}]}, {"d": [datetime.date(2026, 1, 2)]})
    assert data.concat(ctx).output["result"] == '["2026-01-02"]'


def test_concat_writes_into_output_field(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"parts": ["a"], "output_field": "joined"})
    assert data.concat(ctx).output == {"joined": "a"}


# std::aggregate


def test_aggregate_of_a_non_list_input_says_the_input(make_ctx: MakeCtx) -> None:
    result = data.aggregate(make_ctx({"operation": "sum"}, 3))
    assert (result.ports, result.output) == (
        ("error",),
        {
            "error": "std::aggregate: the input is not a list; point `source` at a list",
            "source": None,
        },
    )


def test_aggregate_of_a_non_list_source_names_the_source(make_ctx: MakeCtx) -> None:
    result = data.aggregate(make_ctx({"operation": "sum", "source": "xs"}, {"xs": 3}))
    assert result.output == {
        "error": "std::aggregate: source 'xs' is not a list; point `source` at a list",
        "source": "xs",
    }


def test_aggregate_of_a_non_number_names_the_operation_and_what_to_do(make_ctx: MakeCtx) -> None:
    result = data.aggregate(make_ctx({"operation": "sum"}, [1, "two"]))
    assert result.output == {
        "error": "std::aggregate: sum needs numbers, got 'two'; "
        "set `value_field` to a numeric field of each item",
        "operation": "sum",
    }


def test_aggregate_without_an_operation_is_a_handled_error_on_non_numbers(
    make_ctx: MakeCtx,
) -> None:
    result = data.aggregate(make_ctx({}, ["a"]))
    assert result.output["error"].startswith("std::aggregate:  needs numbers")


def test_aggregate_keeps_the_input_fields_beside_the_result(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"operation": "sum", "source": "xs", "output_field": "t"}, {"xs": [1, 2]})
    assert data.aggregate(ctx).output == {"xs": [1, 2], "t": 3}


# std::json_dynamic


def test_json_without_an_operation_passes_the_input_through(make_ctx: MakeCtx) -> None:
    assert _json(make_ctx, [1]).output == [1]


def test_json_flatten_of_a_non_object_input_is_a_handled_error(make_ctx: MakeCtx) -> None:
    result = _json(make_ctx, [1], operation="flatten")
    assert (result.ports, result.output) == (
        ("error",),
        {
            "error": "std::json_dynamic: flatten needs an object as input, got list",
            "operation": "flatten",
        },
    )


def test_json_merge_with_a_non_object_value_names_its_type(make_ctx: MakeCtx) -> None:
    assert _json(make_ctx, {}, operation="merge", value=[1]).output == {
        "error": "std::json_dynamic: merge needs `value` to be an object, got list",
        "operation": "merge",
    }


def test_json_merge_without_a_value_returns_the_input(make_ctx: MakeCtx) -> None:
    assert _json(make_ctx, {"a": 1}, operation="merge").output == {"a": 1}


def test_json_merge_replaces_a_value_that_is_not_an_object(make_ctx: MakeCtx) -> None:
    result = _json(make_ctx, {"a": 1}, operation="merge", value={"a": {"b": 2}})
    assert result.output == {"a": {"b": 2}}


def test_json_merge_replaces_an_object_by_a_value(make_ctx: MakeCtx) -> None:
    result = _json(make_ctx, {"a": {"b": 2}}, operation="merge", value={"a": 1})
    assert result.output == {"a": 1}


def test_json_extract_without_a_path_returns_the_input(make_ctx: MakeCtx) -> None:
    assert _json(make_ctx, {"a": 1}, operation="extract").output == {"a": 1}


def test_json_unknown_operation_lists_the_known_ones(make_ctx: MakeCtx) -> None:
    message = (
        "std::json_dynamic: operation 'explode' is unknown; "
        "use extract, merge, set, delete, flatten, passthrough"
    )
    with pytest.raises(NodeFailed, match=f"^{message}$"):
        _json(make_ctx, {}, operation="explode")


# std::log


def test_log_at_info_by_default_has_no_prefix(make_ctx: MakeCtx, logged: list[str]) -> None:
    data.log(make_ctx({"message": "plain"}))
    assert logged == ["plain"]


def test_log_without_a_message_logs_an_empty_line(make_ctx: MakeCtx, logged: list[str]) -> None:
    data.log(make_ctx({}))
    assert logged == [""]
