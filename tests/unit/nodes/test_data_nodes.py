from __future__ import annotations

from typing import Any

import pytest

from xene.errors import NodeFailed
from xene.nodes import data

from .conftest import MakeCtx

# path helpers


def test_set_path_creates_mappings_and_leaves_the_original_alone() -> None:
    original = {"a": {"keep": 1}}
    assert data.set_path(original, "a.b.c", 2) == {"a": {"keep": 1, "b": {"c": 2}}}
    assert original == {"a": {"keep": 1}}


def test_set_path_replaces_a_list_item() -> None:
    assert data.set_path({"xs": [1, 2]}, "xs[1]", 9) == {"xs": [1, 9]}


def test_delete_path_of_an_absent_path_returns_the_data() -> None:
    original = {"a": 1}
    assert data.delete_path(original, "b.c") is original


# std::map


def test_map_renames_fields(make_ctx: MakeCtx) -> None:
    config = {"mappings": [{"from": "user.name", "to": "customer"}]}
    assert data.map_fields(make_ctx(config, {"user": {"name": "Ada"}})).output == {
        "customer": "Ada"
    }


def test_map_uses_the_default_for_a_missing_field(make_ctx: MakeCtx) -> None:
    config = {"mappings": [{"from": "tier", "to": "plan.tier", "default": "free"}]}
    assert data.map_fields(make_ctx(config, {})).output == {"plan": {"tier": "free"}}


def test_map_without_passthrough_drops_other_fields(make_ctx: MakeCtx) -> None:
    config = {"mappings": [{"from": "a", "to": "b"}]}
    assert data.map_fields(make_ctx(config, {"a": 1, "other": 2})).output == {"b": 1}


def test_map_with_passthrough_keeps_other_fields_and_moves_mapped_ones(
    make_ctx: MakeCtx,
) -> None:
    config = {"mappings": [{"from": "a", "to": "b"}], "passthrough": True}
    assert data.map_fields(make_ctx(config, {"a": 1, "other": 2})).output == {"other": 2, "b": 1}


def test_map_sets_a_constant_value(make_ctx: MakeCtx) -> None:
    config = {"mappings": [{"to": "source", "value": "webhook"}]}
    assert data.map_fields(make_ctx(config, {})).output == {"source": "webhook"}


# std::concat


def test_concat_joins_parts_with_the_separator(make_ctx: MakeCtx) -> None:
    config = {"parts": ["Ada", "Lovelace"], "separator": " ", "output_field": "full_name"}
    output = data.concat(make_ctx(config, {"id": 1})).output
    assert output == {"id": 1, "full_name": "Ada Lovelace"}


def test_concat_reads_field_parts_from_the_input(make_ctx: MakeCtx) -> None:
    config = {"parts": ["id-", {"field": "order.id"}]}
    assert data.concat(make_ctx(config, {"order": {"id": 7}})).output["result"] == "id-7"


def test_concat_writes_none_as_empty_and_booleans_as_json(make_ctx: MakeCtx) -> None:
    config = {"parts": [None, True, {"field": "absent"}, [1]], "separator": "|"}
    assert data.concat(make_ctx(config, None)).output == {"result": "|true||[1]"}


# std::aggregate


@pytest.mark.parametrize(
    ("operation", "expected"),
    [("sum", 6), ("average", 2), ("min", 1), ("max", 3), ("count", 3), ("product", 6)],
)
def test_aggregate_operations(make_ctx: MakeCtx, operation: str, expected: float) -> None:
    ctx = make_ctx({"operation": operation}, [1, 2, 3])
    assert data.aggregate(ctx).output == {"result": expected}


@pytest.mark.parametrize("operation", ["sum", "count", "average", "product"])
def test_aggregate_of_an_empty_list_is_zero(make_ctx: MakeCtx, operation: str) -> None:
    assert data.aggregate(make_ctx({"operation": operation}, [])).output == {"result": 0}


@pytest.mark.parametrize("operation", ["min", "max"])
def test_aggregate_min_max_of_an_empty_list_is_none(make_ctx: MakeCtx, operation: str) -> None:
    assert data.aggregate(make_ctx({"operation": operation}, [])).output == {"result": None}


def test_aggregate_reads_a_value_field_of_each_item_under_source(make_ctx: MakeCtx) -> None:
    config = {
        "operation": "sum",
        "source": "order.lines",
        "value_field": "price",
        "output_field": "total",
    }
    order = {"order": {"lines": [{"price": 2.5}, {"price": 1.5}]}}
    assert data.aggregate(make_ctx(config, order)).output["total"] == 4.0


def test_aggregate_of_a_non_numeric_value_is_a_handled_error(make_ctx: MakeCtx) -> None:
    result = data.aggregate(make_ctx({"operation": "sum"}, [1, "two"]))
    assert result.ports == ("error",)
    assert "'two'" in result.output["error"]


def test_aggregate_treats_booleans_as_non_numeric(make_ctx: MakeCtx) -> None:
    assert data.aggregate(make_ctx({"operation": "max"}, [True])).ports == ("error",)


def test_aggregate_of_a_non_list_source_is_a_handled_error(make_ctx: MakeCtx) -> None:
    result = data.aggregate(make_ctx({"operation": "sum", "source": "xs"}, {"xs": 3}))
    assert result.ports == ("error",)


def test_aggregate_count_accepts_any_items(make_ctx: MakeCtx) -> None:
    ctx = make_ctx({"operation": "count", "source": "xs"}, {"xs": ["a", None]})
    assert data.aggregate(ctx).output == {"xs": ["a", None], "result": 2}


# std::json_dynamic


def _json(make_ctx: MakeCtx, document: Any, **config: Any) -> Any:
    return data.json_dynamic(make_ctx(config, document))


def test_json_extract_returns_the_value_at_the_path(make_ctx: MakeCtx) -> None:
    assert _json(make_ctx, {"a": {"b": [5]}}, operation="extract", path="a.b[0]").output == 5


def test_json_merge_merges_nested_objects(make_ctx: MakeCtx) -> None:
    result = _json(make_ctx, {"a": {"x": 1}}, operation="merge", value={"a": {"y": 2}, "b": 3})
    assert result.output == {"a": {"x": 1, "y": 2}, "b": 3}


def test_json_merge_with_a_non_object_value_is_a_handled_error(make_ctx: MakeCtx) -> None:
    assert _json(make_ctx, {}, operation="merge", value=[1]).ports == ("error",)


def test_json_merge_of_a_non_object_input_is_a_handled_error(make_ctx: MakeCtx) -> None:
    assert _json(make_ctx, [1], operation="merge", value={}).ports == ("error",)


def test_json_set_writes_a_nested_value(make_ctx: MakeCtx) -> None:
    assert _json(make_ctx, {}, operation="set", path="a.b", value=1).output == {"a": {"b": 1}}


def test_json_delete_removes_a_nested_value(make_ctx: MakeCtx) -> None:
    result = _json(make_ctx, {"a": {"b": 1, "c": 2}}, operation="delete", path="a.b")
    assert result.output == {"a": {"c": 2}}


def test_json_flatten_makes_dotted_keys(make_ctx: MakeCtx) -> None:
    result = _json(make_ctx, {"a": {"b": 1, "c": {"d": [2]}}, "e": {}}, operation="flatten")
    assert result.output == {"a.b": 1, "a.c.d": [2], "e": {}}


def test_json_passthrough_returns_the_input(make_ctx: MakeCtx) -> None:
    assert _json(make_ctx, {"a": 1}, operation="passthrough").output == {"a": 1}


def test_json_unknown_operation_fails_the_node(make_ctx: MakeCtx) -> None:
    with pytest.raises(NodeFailed, match="unknown"):
        _json(make_ctx, {}, operation="explode")


# std::log


def test_log_writes_the_message_and_passes_the_input_on(
    make_ctx: MakeCtx, logged: list[str]
) -> None:
    result = data.log(make_ctx({"message": "order 7 received"}, {"id": 7}))
    assert (result.output, logged) == ({"id": 7}, ["order 7 received"])


def test_log_prefixes_levels_other_than_info(make_ctx: MakeCtx, logged: list[str]) -> None:
    data.log(make_ctx({"message": "careful", "level": "warning"}))
    assert logged == ["WARNING: careful"]
