"""Data nodes: `std::map`, `std::concat`, `std::aggregate`, `std::json_dynamic`, `std::log`.

Pure functions of the context. They never change their input: a changed value is a copy of
the containers along the changed path, sharing everything else.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from xene.core import selectors
from xene.errors import NodeFailed
from xene.nodes.base import NodeContext, NodeResult, handled_error

AGGREGATIONS = ("sum", "average", "min", "max", "count", "product")
JSON_OPERATIONS = ("extract", "merge", "set", "delete", "flatten", "passthrough")
LOG_LEVELS = ("debug", "info", "warning", "error")


def get(data: Any, path: str) -> Any:
    """The value at dotted `path` (`a.b[0]`) in `data`; None when it leads nowhere."""
    return selectors.dig(data, selectors.split_path(path))


def set_path(data: Any, path: str, value: Any) -> Any:
    """A copy of `data` with `value` at dotted `path`, creating mappings on the way."""
    return _set(data, selectors.split_path(path), value)


def _set(data: Any, parts: selectors.Path, value: Any) -> Any:
    if not parts:
        return value
    head, rest = parts[0], parts[1:]
    if (
        isinstance(data, list)
        and head.lstrip("-").isdigit()
        and -len(data) <= int(head) < len(data)
    ):
        copy = list(data)
        copy[int(head)] = _set(copy[int(head)], rest, value)
        return copy
    copy_map = dict(data) if isinstance(data, Mapping) else {}
    copy_map[head] = _set(copy_map.get(head), rest, value)
    return copy_map


def delete_path(data: Any, path: str) -> Any:
    """A copy of `data` without dotted `path`; `data` itself when the path is absent."""
    return _delete(data, selectors.split_path(path))


def _delete(data: Any, parts: selectors.Path) -> Any:
    if not parts or not isinstance(data, Mapping) or parts[0] not in data:
        return data
    copy = dict(data)
    if len(parts) == 1:
        del copy[parts[0]]
    else:
        copy[parts[0]] = _delete(copy[parts[0]], parts[1:])
    return copy


def _with_field(data: Any, name: str, value: Any) -> dict[str, Any]:
    base = dict(data) if isinstance(data, Mapping) else {}
    base[name] = value
    return base


# std::map


def map_fields(ctx: NodeContext) -> NodeResult:
    """Copy `from` paths of the input to `to` paths of the output (with `default`).

    With `passthrough`, the other input fields are kept (a mapped `from` moves).
    """
    mappings = ctx.config.get("mappings") or []
    output: Any = {}
    if ctx.config.get("passthrough") and isinstance(ctx.input, Mapping):
        output = ctx.input
        for mapping in mappings:
            if "from" in mapping:
                output = delete_path(output, str(mapping["from"]))
    for mapping in mappings:
        output = set_path(output, str(mapping["to"]), _mapped(ctx.input, mapping))
    return NodeResult(output)


def _mapped(data: Any, mapping: Mapping[str, Any]) -> Any:
    value = get(data, str(mapping["from"])) if "from" in mapping else mapping.get("value")
    return mapping.get("default") if value is None else value


# std::concat


def concat(ctx: NodeContext) -> NodeResult:
    """Join `parts` with `separator` into `output_field` (default `result`).

    A part is text (its selectors resolved) or `{field: path}`, a field of the input.
    """
    texts = [_text(_part(ctx.input, part)) for part in ctx.config.get("parts") or []]
    joined = str(ctx.config.get("separator", "")).join(texts)
    return NodeResult(_with_field(ctx.input, _output_field(ctx.config), joined))


def _part(data: Any, part: Any) -> Any:
    if isinstance(part, Mapping):
        return get(data, str(part.get("field", ""))) if "field" in part else part.get("value")
    return part


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)


def _output_field(config: Mapping[str, Any]) -> str:
    return str(config.get("output_field") or "result")


# std::aggregate


def aggregate(ctx: NodeContext) -> NodeResult:
    """Reduce a list of numbers (`source`, items' `value_field`) into `output_field`."""
    config = ctx.config
    source = config.get("source")
    items = ctx.input if source is None else get(ctx.input, str(source))
    if not isinstance(items, list | tuple):
        where = "the input" if source is None else f"source {source!r}"
        return handled_error(
            f"std::aggregate: {where} is not a list; point `source` at a list", source=source
        )
    operation = str(config.get("operation", ""))
    field = config.get("value_field")
    values = [item if field is None else get(item, str(field)) for item in items]
    if operation == "count":
        return NodeResult(_with_field(ctx.input, _output_field(config), len(values)))
    bad = [value for value in values if not _is_number(value)]
    if bad:
        return handled_error(
            f"std::aggregate: {operation} needs numbers, got {bad[0]!r}; "
            "set `value_field` to a numeric field of each item",
            operation=operation,
        )
    result = _REDUCE[operation](values) if values else _EMPTY.get(operation)
    return NodeResult(_with_field(ctx.input, _output_field(config), result))


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


_REDUCE: Mapping[str, Callable[[list[Any]], Any]] = {
    "sum": sum,
    "average": lambda values: sum(values) / len(values),
    "min": min,
    "max": max,
    "product": math.prod,
}
_EMPTY: Mapping[str, Any] = {"sum": 0, "average": 0, "product": 0}


# std::json_dynamic


def json_dynamic(ctx: NodeContext) -> NodeResult:
    """Reshape schemaless JSON: `extract`, `merge`, `set`, `delete`, `flatten`, `passthrough`."""
    operation = str(ctx.config.get("operation", "passthrough"))
    if operation in ("merge", "flatten") and not isinstance(ctx.input, Mapping):
        return handled_error(
            f"std::json_dynamic: {operation} needs an object as input, "
            f"got {type(ctx.input).__name__}",
            operation=operation,
        )
    apply = _JSON.get(operation)
    if apply is None:
        known = ", ".join(JSON_OPERATIONS)
        raise NodeFailed(f"std::json_dynamic: operation {operation!r} is unknown; use {known}")
    return apply(ctx.input, ctx.config)


def _path(config: Mapping[str, Any]) -> str:
    return str(config.get("path", ""))


_JSON: Mapping[str, Callable[[Any, Mapping[str, Any]], NodeResult]] = {
    "extract": lambda data, config: NodeResult(get(data, _path(config))),
    "set": lambda data, config: NodeResult(set_path(data, _path(config), config.get("value"))),
    "delete": lambda data, config: NodeResult(delete_path(data, _path(config))),
    "merge": lambda data, config: _merge(data, config.get("value") or {}),
    "flatten": lambda data, config: NodeResult(dict(flatten(data))),
    "passthrough": lambda data, config: NodeResult(data),
}


def _merge(data: Mapping[str, Any], value: Any) -> NodeResult:
    if not isinstance(value, Mapping):
        return handled_error(
            f"std::json_dynamic: merge needs `value` to be an object, got {type(value).__name__}",
            operation="merge",
        )
    return NodeResult(deep_merge(data, value))


def deep_merge(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`base` updated with `extra`, merging nested mappings instead of replacing them."""
    merged = dict(base)
    for key, value in extra.items():
        merged[key] = _combine(merged.get(key), value)
    return merged


def _combine(old: Any, new: Any) -> Any:
    if isinstance(old, Mapping) and isinstance(new, Mapping):
        return deep_merge(old, new)
    return new


def flatten(data: Mapping[str, Any], prefix: str = "") -> Iterable[tuple[str, Any]]:
    """`{"a": {"b": 1}}` -> `("a.b", 1)`; lists and empty mappings are leaves."""
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, Mapping) and value:
            yield from flatten(value, f"{name}.")
        else:
            yield name, value


# std::log


def log(ctx: NodeContext) -> NodeResult:
    """Write `message` (its selectors resolved) to the node's log; pass the input on."""
    level = str(ctx.config.get("level", "info")).lower()
    message = _text(ctx.config.get("message", ""))
    ctx.log(message if level == "info" else f"{level.upper()}: {message}")
    return NodeResult(ctx.input)
