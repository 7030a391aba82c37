"""Every config check of the node library, pinned whole: each key and message."""

from __future__ import annotations

from typing import Any

import pytest

from xene.nodes import registry

CASES = [
    (
        "std::loop",
        {"max_iterations": 0, "until_expression": "${a} >", "while_expression": "x ="},
        [
            ("max_iterations", "must be a positive whole number, got 0"),
            ("until_expression", "'${a} >' is not a valid expression: invalid syntax"),
            ("while_expression", "'x =' is not a valid expression: invalid syntax"),
        ],
    ),
    (
        "std::switch",
        {},
        [("condition", "std::switch needs `condition: {type, field, value}` or `expression`")],
    ),
    ("std::switch", {"condition": "x"}, [("condition", "must be a mapping {type, field, value}")]),
    (
        "std::switch",
        {"condition": {"type": "near"}},
        [
            (
                "condition.type",
                "'near' is not one of greater_than, less_than, equals, matches, expression",
            )
        ],
    ),
    (
        "std::switch",
        {"condition": {"type": "matches", "value": "("}},
        [
            ("condition.field", "is required: the dotted path of the input field to test"),
            (
                "condition.value",
                "is not a valid regular expression: "
                "missing ), unterminated subpattern at position 0",
            ),
        ],
    ),
    (
        "std::switch",
        {"condition": {"type": "equals", "field": ""}},
        [
            ("condition.field", "is required: the dotted path of the input field to test"),
            ("condition.value", "is required: what equals compares the field with"),
        ],
    ),
    ("std::switch", {"condition": {"type": "matches", "field": "a", "value": "(${re}"}}, []),
    ("std::switch", {"condition": {"type": "equals", "field": "a", "value": "("}}, []),
    (
        "std::switch",
        {"condition": {"type": "expression", "value": "${a} >"}},
        [("condition.expression", "'${a} >' is not a valid expression: invalid syntax")],
    ),
    ("std::switch", {"expression": 3}, [("expression", "must be an expression (text), got int")]),
    (
        "std::merge",
        {"strategy": "most"},
        [("strategy", "'most' is not one of wait_all, all, first_arrival, any, wait_n, count")],
    ),
    ("std::merge", {"strategy": "${s}"}, []),
    (
        "std::merge",
        {"strategy": "wait_n"},
        [("count", "is required with strategy wait_n: how many inputs to await")],
    ),
    ("std::merge", {"strategy": "wait_n", "count": 1}, []),
    (
        "std::merge",
        {"strategy": "count", "count": 0},
        [("count", "must be a positive whole number, got 0")],
    ),
    ("std::merge", {"count": True}, [("count", "must be a positive whole number, got True")]),
    ("std::split", {}, [("field", "is required: the dotted path of the list to fan out over")]),
    (
        "std::split",
        {"field": "xs", "max_parallel": 1.5},
        [("max_parallel", "must be a positive whole number, got 1.5")],
    ),
    (
        "std::loop",
        {},
        [("max_iterations", "std::loop needs max_iterations or an until/while condition")],
    ),
    (
        "std::loop",
        {"max_iterations": 0},
        [("max_iterations", "must be a positive whole number, got 0")],
    ),
    (
        "std::loop",
        {"condition": {"until_expression": "${a} >"}},
        [("condition.until_expression", "'${a} >' is not a valid expression: invalid syntax")],
    ),
    (
        "std::loop",
        {"while_expression": 3},
        [("while_expression", "must be an expression (text), got int")],
    ),
    (
        "std::wait",
        {"timeout_action": "ignore", "timeout_secs": 0, "metadata_fields": [1]},
        [
            ("timeout_action", "'ignore' is not one of approve, reject, escalate"),
            ("timeout_secs", "must be a positive number, got 0"),
            ("metadata_fields", "must be a list of str, got [1]"),
        ],
    ),
    ("std::wait", {"timeout_secs": 0.5, "metadata_fields": "${m}"}, []),
    ("std::wait", {"timeout_secs": 1}, []),
    (
        "std::wait",
        {"metadata_fields": "a"},
        [("metadata_fields", "must be a list of str, got 'a'")],
    ),
    ("std::map", {}, [("mappings", "is required: a list of {from, to, default}")]),
    (
        "std::map",
        {"mappings": [3, {"to": "a"}, {"to": "b", "value": 1}]},
        [
            ("mappings[0]", "must be a mapping with `to` (and `from` or `value`)"),
            ("mappings[1]", "needs `from` (a field path) or `value`"),
        ],
    ),
    ("std::concat", {}, [("parts", "is required: a list of texts or {field: path}")]),
    (
        "std::aggregate",
        {},
        [("operation", "is required: one of sum, average, min, max, count, product")],
    ),
    (
        "std::aggregate",
        {"operation": "median"},
        [("operation", "'median' is not one of sum, average, min, max, count, product")],
    ),
    ("std::json_dynamic", {}, []),
    (
        "std::json_dynamic",
        {"operation": "set"},
        [("path", "is required: the dotted path to set"), ("value", "is required: what to set")],
    ),
    (
        "std::json_dynamic",
        {"operation": "delete", "path": ""},
        [("path", "is required: the dotted path to delete")],
    ),
    (
        "std::json_dynamic",
        {"operation": "extract"},
        [("path", "is required: the dotted path to extract")],
    ),
    ("std::json_dynamic", {"operation": "merge"}, [("value", "is required: what to merge")]),
    ("std::json_dynamic", {"operation": "${op}"}, []),
    (
        "std::json_dynamic",
        {"operation": "explode"},
        [
            (
                "operation",
                "'explode' is not one of extract, merge, set, delete, flatten, passthrough",
            )
        ],
    ),
    (
        "std::log",
        {"level": "loud"},
        [("level", "'loud' is not one of debug, info, warning, error")],
    ),
    (
        "std::python",
        {"call": "nocolon"},
        [("call", "must be module:function (as in mypkg.tasks:handle), got 'nocolon'")],
    ),
    (
        "std::python",
        {"call": "m:f", "args": [1]},
        [("args", "must be a mapping of argument names to values")],
    ),
    ("std::http", {}, [("url", "is required: the address to send the request to")]),
    (
        "std::http",
        {"url": "u", "method": "fetch", "timeout_ms": -1},
        [
            ("method", "'FETCH' is not one of GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"),
            ("timeout_ms", "must be a positive whole number, got -1"),
        ],
    ),
    ("std::http", {"url": "u", "method": "post"}, []),
    ("std::shell", {}, [("command", "is required: the shell command to run")]),
    ("std::shell", {"cmd": "true", "timeout_ms": "${t}"}, []),
    (
        "std::shell",
        {"command": "true", "timeout_ms": 1.5},
        [("timeout_ms", "must be a positive whole number, got 1.5")],
    ),
]


@pytest.mark.parametrize(("type_name", "config", "problems"), CASES)
def test_a_config_check_reports_each_problem_with_its_message(
    type_name: str, config: dict[str, Any], problems: list[tuple[str, str]]
) -> None:
    node_type = registry.get(type_name)
    assert node_type is not None
    assert node_type.check(config) == problems
