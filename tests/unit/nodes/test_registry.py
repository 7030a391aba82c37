from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from xene.nodes import registry


def _problems(type_name: str, config: dict[str, Any]) -> list[tuple[str, str]]:
    node_type = registry.get(type_name)
    assert node_type is not None
    return node_type.check(config)


def _keys(type_name: str, config: dict[str, Any]) -> list[str]:
    return [key for key, _ in _problems(type_name, config)]


def test_names_lists_every_std_node_sorted() -> None:
    assert registry.names() == [
        "std::aggregate",
        "std::concat",
        "std::http",
        "std::json_dynamic",
        "std::log",
        "std::loop",
        "std::map",
        "std::merge",
        "std::python",
        "std::shell",
        "std::split",
        "std::switch",
        "std::wait",
    ]


def test_get_of_an_unknown_type_is_none() -> None:
    assert registry.get("std::teleport") is None


@pytest.mark.parametrize(
    ("type_name", "ports"),
    [
        ("std::switch", ("true", "false", "error")),
        ("std::split", ("out", "done", "error")),
        ("std::loop", ("continue", "exit", "error")),
        ("std::wait", ("out", "rejected", "escalated", "error")),
        ("std::map", ("out", "error")),
    ],
)
def test_node_types_declare_their_ports(type_name: str, ports: tuple[str, ...]) -> None:
    node_type = registry.get(type_name)
    assert node_type is not None
    assert node_type.ports == ports


def test_switch_keeps_its_expression_raw() -> None:
    node_type = registry.get("std::switch")
    assert node_type is not None
    assert node_type.raw_keys == frozenset({"expression"})


def test_loop_keeps_its_condition_and_expressions_raw() -> None:
    node_type = registry.get("std::loop")
    assert node_type is not None
    assert {"condition", "until_expression", "while_expression"} <= node_type.raw_keys


def test_importing_the_registry_loads_neither_httpx_nor_simpleeval() -> None:
    assert registry.LAZY == ("httpx", "simpleeval")
    code = "import sys, xene.nodes.registry as r; print(*(m in sys.modules for m in r.LAZY))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


# checks

VALID = [
    ("std::switch", {"condition": {"type": "greater_than", "field": "x", "value": 1}}),
    ("std::switch", {"expression": "${x} > 1"}),
    ("std::switch", {"condition": {"type": "expression", "value": "x > 1"}}),
    ("std::merge", {"strategy": "wait_n", "count": 2}),
    ("std::merge", {}),
    ("std::split", {"field": "items", "max_parallel": 4}),
    ("std::loop", {"max_iterations": 3}),
    ("std::loop", {"condition": {"until_expression": "${iteration} >= 3"}}),
    ("std::loop", {"max_iterations": "${pipeline.config.n}"}),
    ("std::wait", {"timeout_secs": 30, "timeout_action": "escalate", "metadata_fields": ["a"]}),
    ("std::map", {"mappings": [{"from": "a", "to": "b"}, {"to": "c", "value": 1}]}),
    ("std::concat", {"parts": ["a", {"field": "b"}]}),
    ("std::aggregate", {"operation": "average"}),
    ("std::json_dynamic", {"operation": "set", "path": "a", "value": 1}),
    ("std::json_dynamic", {"operation": "flatten"}),
    ("std::log", {"message": "hi", "level": "warning"}),
    ("std::python", {"call": "pkg.mod:fn", "args": {"a": 1}}),
    ("std::http", {"url": "http://x", "method": "post", "timeout_ms": 100}),
    ("std::shell", {"cmd": "true"}),
]


@pytest.mark.parametrize(("type_name", "config"), VALID)
def test_a_valid_config_has_no_problems(type_name: str, config: dict[str, Any]) -> None:
    assert _problems(type_name, config) == []


INVALID = [
    ("std::switch", {}, "condition"),
    ("std::switch", {"condition": "x > 1"}, "condition"),
    ("std::switch", {"condition": {"type": "bigger", "field": "x", "value": 1}}, "condition.type"),
    ("std::switch", {"condition": {"type": "equals", "value": 1}}, "condition.field"),
    ("std::switch", {"condition": {"type": "equals", "field": "x"}}, "condition.value"),
    ("std::switch", {"condition": {"type": "matches", "field": "x", "value": "["}},
     "condition.value"),
    ("std::switch", {"condition": {"type": "expression", "value": "x >"}}, "condition.expression"),
    ("std::switch", {"expression": "__import__('os')"}, "expression"),
    ("std::switch", {"expression": 3}, "expression"),
    ("std::merge", {"strategy": "sometimes"}, "strategy"),
    ("std::merge", {"strategy": "wait_n"}, "count"),
    ("std::merge", {"strategy": "count", "count": 0}, "count"),
    ("std::split", {}, "field"),
    ("std::split", {"field": "items", "max_parallel": -1}, "max_parallel"),
    ("std::loop", {}, "max_iterations"),
    ("std::loop", {"max_iterations": 2.5}, "max_iterations"),
    ("std::loop", {"max_iterations": True}, "max_iterations"),
    ("std::loop", {"until_expression": "iteration >"}, "until_expression"),
    ("std::loop", {"condition": {"while_expression": "a ="}}, "condition.while_expression"),
    ("std::wait", {"timeout_action": "ignore"}, "timeout_action"),
    ("std::wait", {"timeout_secs": -1}, "timeout_secs"),
    ("std::wait", {"metadata_fields": "a"}, "metadata_fields"),
    ("std::map", {}, "mappings"),
    ("std::map", {"mappings": [{"from": "a"}]}, "mappings[0]"),
    ("std::map", {"mappings": [{"to": "a"}]}, "mappings[0]"),
    ("std::concat", {"parts": "a b"}, "parts"),
    ("std::aggregate", {}, "operation"),
    ("std::aggregate", {"operation": "median"}, "operation"),
    ("std::json_dynamic", {"operation": "explode"}, "operation"),
    ("std::json_dynamic", {"operation": "extract"}, "path"),
    ("std::json_dynamic", {"operation": "merge"}, "value"),
    ("std::log", {"level": "loud"}, "level"),
    ("std::python", {"call": "pkg.mod.fn"}, "call"),
    ("std::python", {}, "call"),
    ("std::python", {"call": "m:f", "args": [1]}, "args"),
    ("std::http", {}, "url"),
    ("std::http", {"url": "http://x", "method": "FETCH"}, "method"),
    ("std::shell", {}, "command"),
    ("std::shell", {"command": "true", "timeout_ms": 0}, "timeout_ms"),
]  # fmt: skip


@pytest.mark.parametrize(("type_name", "config", "key"), INVALID)
def test_an_invalid_config_names_the_key_at_fault(
    type_name: str, config: dict[str, Any], key: str
) -> None:
    assert key in _keys(type_name, config)


def test_problem_messages_say_what_to_do() -> None:
    [(_, message)] = _problems("std::python", {"call": "pkg.mod.fn"})
    assert "module:function" in message
