"""Safe expressions: the conditions of `std::switch`, `std::loop` and edges.

Pure: an expression is evaluated against a node's input, with no access to Python itself.

- `${field.path}` names a field of the input; when its first segment is not a key of the
  input it names an extra name (such as `iteration`), then a selector root (a node id,
  `pipeline`, `run`, ...); a path that leads nowhere is `None`.
- A plain identifier (`iteration >= 3`) names an extra name, then a field of the input.
- Allowed: literals (`true`/`false`/`null` too), lists, tuples, dicts, `and`/`or`/`not`,
  comparisons (`<`, `>`... are false when a side is `None`), `in`, `is`, arithmetic,
  `a if c else b`, `x[0]` and the functions in `FUNCTIONS`. Nothing else: no attributes,
  no comprehensions, no lambdas, no imports.

Parsing and checking happen once per expression string (cached); evaluation walks the
cached tree with simpleeval, imported lazily to keep start-up fast.
"""

from __future__ import annotations

import ast
import functools
import operator
import re
import threading
from collections.abc import Callable, Mapping
from typing import Any

from xene.core import selectors
from xene.errors import XeneError
from xene.frozen import frozen

EMPTY: Mapping[str, Any] = {}
_VAR = "xene_sel_{}_"
CONSTANTS: Mapping[str, Any] = {"true": True, "false": False, "null": None}


class ExpressionError(XeneError, ValueError):
    """The expression is invalid."""


def _lower(text: Any) -> str:
    return str(text).lower()


def _upper(text: Any) -> str:
    return str(text).upper()


def _matches(text: Any, pattern: str) -> bool:
    return text is not None and re.search(pattern, str(text)) is not None


FUNCTIONS: Mapping[str, Callable[..., Any]] = {
    "len": len,
    "abs": abs,
    "min": min,
    "max": max,
    "round": round,
    "int": int,
    "float": float,
    "str": str,
    "bool": bool,
    "lower": _lower,
    "upper": _upper,
    "matches": _matches,
}

_NODES: tuple[type[ast.AST], ...] = (
    ast.Expr, ast.Constant, ast.Name, ast.Load, ast.BoolOp, ast.And, ast.Or,
    ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.BinOp, ast.Add, ast.Sub, ast.Mult,
    ast.Div, ast.FloorDiv, ast.Mod, ast.Compare, ast.Eq, ast.NotEq, ast.Lt, ast.LtE,
    ast.Gt, ast.GtE, ast.In, ast.NotIn, ast.Is, ast.IsNot, ast.IfExp, ast.Call,
    ast.List, ast.Tuple, ast.Dict, ast.Subscript, ast.Slice,
)  # fmt: skip

_WHAT: Mapping[type[ast.AST], str] = {
    ast.Attribute: "attribute access (write ${a.b} for a nested field)",
    ast.Pow: "`**`",
    ast.NamedExpr: "`:=`",
}


@frozen
class _Compiled:
    """An expression parsed and checked once, kept for every evaluation of its text."""

    text: str
    tree: ast.expr
    selectors: tuple[tuple[str, selectors.Path], ...]
    """(generated variable, selector path) for each `${...}`."""
    plain: tuple[str, ...]
    """Plain identifiers other than functions and constants."""


def check(expression: str) -> str | None:
    """The reason `expression` is invalid, or None when it is valid."""
    try:
        _compiled(expression)
    except ExpressionError as exc:
        return str(exc)
    return None


def evaluate(
    expression: str,
    data: Any,
    names: Mapping[str, Any] = EMPTY,
    lookup: selectors.Lookup | None = None,
) -> Any:
    """Evaluate `expression` against `data` (the node's input).

    Raises:
        ExpressionError: the expression is invalid or cannot be evaluated on this data.
    """
    compiled = _compiled(expression)
    scope = _bind(compiled, data, names, lookup)
    evaluator = _evaluator()
    evaluator.names = scope
    try:
        return evaluator.eval(compiled.text, compiled.tree)
    except ExpressionError:
        raise
    except Exception as exc:
        raise ExpressionError(f"cannot evaluate {expression!r}: {_reason(exc)}") from exc
    finally:
        evaluator.names = EMPTY


def _compiled(expression: str) -> _Compiled:
    if not isinstance(expression, str):
        kind = type(expression).__name__
        raise ExpressionError(f"an expression must be text, got {kind} {expression!r}")
    return _compile(expression)


@functools.lru_cache(maxsize=2048)
def _compile(expression: str) -> _Compiled:
    if not expression.strip():
        raise ExpressionError("the expression is empty: write a condition, as in ${x} > 1")
    found: list[tuple[str, selectors.Path]] = []

    def substitute(match: re.Match[str]) -> str:
        found.append((_VAR.format(len(found)), selectors.split_path(match.group(1))))
        return found[-1][0]

    text = selectors.SELECTOR.sub(substitute, expression.strip())
    tree = _parse(expression, text)
    generated = {var for var, _ in found}
    plain = sorted(
        {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        - generated
        - FUNCTIONS.keys()
        - CONSTANTS.keys()
    )
    return _Compiled(text, tree, tuple(found), tuple(plain))


def _parse(expression: str, text: str) -> ast.expr:
    if "${" in text:
        raise ExpressionError(
            f"{expression!r}: a `${{...}}` is malformed: write ${{field.path}}, "
            "a dotted path of letters, digits, `_` and `-`"
        )
    try:
        module = ast.parse(text, mode="exec")
    except SyntaxError as exc:
        raise ExpressionError(f"{expression!r} is not a valid expression: {exc.msg}") from exc
    body = module.body
    if len(body) != 1 or not isinstance(body[0], ast.Expr):
        raise ExpressionError(f"{expression!r} must be one expression, not a statement")
    for node in ast.walk(body[0]):
        _allow(expression, node)
    return body[0].value


def _allow(expression: str, node: ast.AST) -> None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and "xene_sel_" in node.value:
        raise ExpressionError(
            f"{expression!r}: a ${{...}} inside quotes is not replaced; "
            "compare instead, as in ${name} == 'bob'"
        )
    _allow_node(expression, node)


def _allow_node(expression: str, node: ast.AST) -> None:
    if not isinstance(node, _NODES):
        what = _WHAT.get(type(node), type(node).__name__)
        raise ExpressionError(
            f"{expression!r}: {what} is not allowed in an expression; use comparisons, "
            "and/or/not, arithmetic, `in`, literals and ${field.path}"
        )
    if isinstance(node, ast.Call) and (
        not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords
    ):
        allowed = ", ".join(FUNCTIONS)
        raise ExpressionError(f"{expression!r}: only these functions may be called: {allowed}")


def _bind(
    compiled: _Compiled, data: Any, names: Mapping[str, Any], lookup: selectors.Lookup | None
) -> dict[str, Any]:
    scope: dict[str, Any] = dict(CONSTANTS)
    for var, path in compiled.selectors:
        scope[var] = _select(path, data, names, lookup)
    for name in compiled.plain:
        scope[name] = _plain(compiled.text, name, data, names)
    return scope


def _select(
    path: selectors.Path, data: Any, names: Mapping[str, Any], lookup: selectors.Lookup | None
) -> Any:
    head, rest = path[0], path[1:]
    if isinstance(data, Mapping) and head in data:
        return selectors.dig(data[head], rest)
    if head in names:
        return selectors.dig(names[head], rest)
    if lookup is not None:
        try:
            return selectors.dig(lookup(head), rest)
        except KeyError:
            return None
    if head == "input":
        return selectors.dig(data, rest)
    return None


def _plain(text: str, name: str, data: Any, names: Mapping[str, Any]) -> Any:
    if name in names:
        return names[name]
    if isinstance(data, Mapping) and name in data:
        return data[name]
    raise ExpressionError(
        f"{text!r}: unknown name {name!r}; write ${{{name}}} for a field of the input "
        "(a missing field is null)"
    )


def _reason(exc: Exception) -> str:
    if isinstance(exc, TypeError | ZeroDivisionError | KeyError | IndexError):
        return f"{type(exc).__name__}: {exc}"
    return str(exc)


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def safe(left: Any, right: Any) -> bool:
        return left is not None and right is not None and compare(left, right)

    return safe


_local = threading.local()


def _evaluator() -> Any:
    """One simpleeval evaluator per thread, built on first use."""
    evaluator = getattr(_local, "evaluator", None)
    if evaluator is None:
        evaluator = _local.evaluator = _build_evaluator()
    return evaluator


def _build_evaluator() -> Any:
    import simpleeval

    operators = dict(simpleeval.DEFAULT_OPERATORS)
    for node, compare in (
        (ast.Lt, operator.lt),
        (ast.LtE, operator.le),
        (ast.Gt, operator.gt),
        (ast.GtE, operator.ge),
    ):
        operators[node] = _ordered(compare)
    return simpleeval.EvalWithCompoundTypes(
        operators=operators, functions=dict(FUNCTIONS), names=EMPTY
    )
