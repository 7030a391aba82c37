"""The `std::` node types: their functions, ports, config checks and raw keys.

Importing this module is cheap (no httpx, no simpleeval): `xene run` starts by loading it.
A check returns `(key.path, message)` per problem; a value holding a selector (`${...}`) is
only known at run time, so checks let it through.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from xene.core import expressions
from xene.nodes import control, data, io
from xene.nodes.base import ConfigCheck, NodeType

Problems = list[tuple[str, str]]
LAZY = ("httpx", "simpleeval")
"""Modules the node library imports only when a node needs them."""


def get(type_name: str) -> NodeType | None:
    """The registered node type called `type_name` (`std::switch`), or None."""
    return _TYPES.get(type_name)


def names() -> list[str]:
    """Every registered node type name, sorted."""
    return sorted(_TYPES)


# helpers


def _dynamic(value: Any) -> bool:
    return isinstance(value, str) and "${" in value


def _one_of(config: Mapping[str, Any], key: str, allowed: tuple[str, ...]) -> Problems:
    value = config.get(key)
    if value is None or _dynamic(value) or value in allowed:
        return []
    return [(key, f"{value!r} is not one of {', '.join(allowed)}")]


def _required(config: Mapping[str, Any], key: str, what: str) -> Problems:
    value = config.get(key)
    if value is None or value == "":
        return [(key, f"is required: {what}")]
    return []


def _positive(config: Mapping[str, Any], key: str, *, whole: bool = True) -> Problems:
    value = config.get(key)
    if value is None or _dynamic(value):
        return []
    number = isinstance(value, int) or (not whole and isinstance(value, float))
    if isinstance(value, bool) or not number or value <= 0:
        kind = "whole number" if whole else "number"
        return [(key, f"must be a positive {kind}, got {value!r}")]
    return []


def _expression(key: str, text: Any) -> Problems:
    if not isinstance(text, str):
        return [(key, f"must be an expression (text), got {type(text).__name__}")]
    error = expressions.check(text)
    return [(key, error)] if error else []


def _list_of(config: Mapping[str, Any], key: str, types: tuple[type, ...]) -> Problems:
    value = config.get(key)
    if value is None or _dynamic(value):
        return []
    if not isinstance(value, list) or not all(isinstance(item, types) for item in value):
        names_ = " or ".join(t.__name__ for t in types)
        return [(key, f"must be a list of {names_}, got {value!r}")]
    return []


# control


def check_switch(config: Mapping[str, Any]) -> Problems:
    if "expression" in config:
        return _expression("expression", config["expression"])
    condition = config.get("condition")
    if condition is None:
        return [
            ("condition", "std::switch needs `condition: {type, field, value}` or `expression`")
        ]
    if not isinstance(condition, Mapping):
        return [("condition", "must be a mapping {type, field, value}")]
    return [(f"condition.{key}", message) for key, message in _check_condition(condition)]


def _check_condition(condition: Mapping[str, Any]) -> Problems:
    kind = condition.get("type")
    if kind not in control.CONDITION_TYPES:
        return [("type", f"{kind!r} is not one of {', '.join(control.CONDITION_TYPES)}")]
    if kind == "expression":
        return _expression("expression", control.condition_expression(condition))
    problems = _required(condition, "field", "the dotted path of the input field to test")
    if "value" not in condition:
        problems.append(("value", f"is required: what {kind} compares the field with"))
    pattern = condition.get("value")
    if kind == "matches" and isinstance(pattern, str) and not _dynamic(pattern):
        problems += _regex("value", pattern)
    return problems


def _regex(key: str, pattern: str) -> Problems:
    try:
        re.compile(pattern)
    except re.error as exc:
        return [(key, f"is not a valid regular expression: {exc}")]
    return []


def check_merge(config: Mapping[str, Any]) -> Problems:
    problems = _one_of(config, "strategy", tuple(control.MERGE_STRATEGIES))
    problems += _positive(config, "count")
    if not problems and control.merge_strategy(config) == "wait_n" and "count" not in config:
        problems.append(("count", "is required with strategy wait_n: how many inputs to await"))
    return problems


def check_split(config: Mapping[str, Any]) -> Problems:
    problems = _required(config, "field", "the dotted path of the list to fan out over")
    return problems + _positive(config, "max_parallel")


def check_loop(config: Mapping[str, Any]) -> Problems:
    found = control.loop_expressions(config)
    if "max_iterations" not in config and not found:
        return [("max_iterations", "std::loop needs max_iterations or an until/while condition")]
    problems = _positive(config, "max_iterations")
    nested = config.get("condition")
    for key, text in found.items():
        where = f"condition.{key}" if isinstance(nested, Mapping) and key in nested else key
        problems += _expression(where, text)
    return problems


def check_wait(config: Mapping[str, Any]) -> Problems:
    problems = _one_of(config, "timeout_action", control.TIMEOUT_ACTIONS)
    problems += _positive(config, "timeout_secs", whole=False)
    return problems + _list_of(config, "metadata_fields", (str,))


# data


def check_map(config: Mapping[str, Any]) -> Problems:
    mappings = config.get("mappings")
    if not isinstance(mappings, list):
        return [("mappings", "is required: a list of {from, to, default}")]
    problems: Problems = []
    for index, mapping in enumerate(mappings):
        where = f"mappings[{index}]"
        if not isinstance(mapping, Mapping) or not isinstance(mapping.get("to"), str):
            problems.append((where, "must be a mapping with `to` (and `from` or `value`)"))
        elif "from" not in mapping and "value" not in mapping:
            problems.append((where, "needs `from` (a field path) or `value`"))
    return problems


def check_concat(config: Mapping[str, Any]) -> Problems:
    if not isinstance(config.get("parts"), list):
        return [("parts", "is required: a list of texts or {field: path}")]
    return []


def check_aggregate(config: Mapping[str, Any]) -> Problems:
    if "operation" not in config:
        return [("operation", f"is required: one of {', '.join(data.AGGREGATIONS)}")]
    return _one_of(config, "operation", data.AGGREGATIONS)


def check_json_dynamic(config: Mapping[str, Any]) -> Problems:
    problems = _one_of(config, "operation", data.JSON_OPERATIONS)
    operation = config.get("operation", "passthrough")
    if problems or _dynamic(operation):
        return problems
    if operation in ("extract", "set", "delete"):
        problems += _required(config, "path", f"the dotted path to {operation}")
    if operation in ("set", "merge") and "value" not in config:
        problems.append(("value", f"is required: what to {operation}"))
    return problems


def check_log(config: Mapping[str, Any]) -> Problems:
    return _one_of(config, "level", data.LOG_LEVELS)


# io


def check_python(config: Mapping[str, Any]) -> Problems:
    call = config.get("call")
    if not isinstance(call, str) or not io.CALL_FORM.match(call):
        return [("call", f"must be module:function (as in mypkg.tasks:handle), got {call!r}")]
    if "args" in config and not isinstance(config["args"], Mapping):
        return [("args", "must be a mapping of argument names to values")]
    return []


def check_http(config: Mapping[str, Any]) -> Problems:
    problems = _required(config, "url", "the address to send the request to")
    problems += _one_of(
        {"method": str(config.get("method", "GET")).upper()}, "method", io.HTTP_METHODS
    )
    return problems + _positive(config, "timeout_ms")


def check_shell(config: Mapping[str, Any]) -> Problems:
    if not config.get("command") and not config.get("cmd"):
        return [("command", "is required: the shell command to run")]
    return _positive(config, "timeout_ms")


def _type(
    name: str, fn: Callable[..., Any], ports: tuple[str, ...], check: ConfigCheck, **extra: Any
) -> tuple[str, NodeType]:
    return name, NodeType(name=name, fn=fn, ports=ports, check=check, **extra)


_LOOP_RAW = frozenset({"condition", *control.LOOP_EXPRESSIONS})
_TYPES: Mapping[str, NodeType] = dict(
    [
        _type("std::switch", control.switch, ("true", "false", "error"), check_switch,
              raw_keys=frozenset({"expression"})),
        _type("std::merge", control.merge, ("out", "error"), check_merge),
        _type("std::split", control.split, ("out", "done", "error"), check_split),
        _type("std::loop", control.loop, ("continue", "exit", "error"), check_loop,
              raw_keys=_LOOP_RAW),
        _type("std::wait", control.wait, ("out", "rejected", "escalated", "error"), check_wait),
        _type("std::map", data.map_fields, ("out", "error"), check_map),
        _type("std::concat", data.concat, ("out", "error"), check_concat),
        _type("std::aggregate", data.aggregate, ("out", "error"), check_aggregate),
        _type("std::json_dynamic", data.json_dynamic, ("out", "error"), check_json_dynamic),
        _type("std::log", data.log, ("out", "error"), check_log),
        _type("std::python", io.python, ("out", "error"), check_python),
        _type("std::http", io.http, ("out", "error"), check_http),
        _type("std::shell", io.shell, ("out", "error"), check_shell, runs_commands=True),
    ]
)  # fmt: skip
