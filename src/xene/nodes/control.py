"""Flow-control nodes: `std::switch`, `std::merge`, `std::split`, `std::loop`, `std::wait`.

Each decides *where* its input goes (the ports it emits on); the engine does the rest
(fan-out, barriers, loop-back edges, suspension). All are pure functions of the context.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from xene.core import selectors
from xene.core.states import Decision
from xene.errors import NodeFailed
from xene.nodes.base import NodeContext, NodeResult, handled_error

MergeStrategy = Literal["wait_all", "first_arrival", "wait_n"]

CONDITION_TYPES = ("greater_than", "less_than", "equals", "matches", "expression")
MERGE_STRATEGIES: Mapping[str, MergeStrategy] = {
    "wait_all": "wait_all",
    "all": "wait_all",
    "first_arrival": "first_arrival",
    "any": "first_arrival",
    "wait_n": "wait_n",
    "count": "wait_n",
}
LOOP_EXPRESSIONS = ("until_expression", "while_expression")
TIMEOUT_ACTIONS = tuple(Decision)
DEFAULT_MAX_ITERATIONS = 10_000
"""The cap of a loop that names only a condition, so that a wrong condition ends."""


def field(data: Any, path: str) -> Any:
    """The value at dotted `path` in `data`, None when it leads nowhere."""
    return selectors.dig(data, selectors.split_path(path))


# std::switch


def switch(ctx: NodeContext) -> NodeResult:
    """Route the input to `true` or `false`; a missing field is false."""
    expression = ctx.config.get("expression")
    if expression is not None:
        taken = bool(ctx.evaluate(expression, {}))
    else:
        taken = _condition(ctx, ctx.config.get("condition") or {})
    return NodeResult(ctx.input, ("true" if taken else "false",))


def _condition(ctx: NodeContext, condition: Mapping[str, Any]) -> bool:
    kind = condition.get("type")
    if kind == "expression":
        return bool(ctx.evaluate(condition_expression(condition), {}))
    compare = _COMPARE.get(str(kind))
    if compare is None:
        known = ", ".join(CONDITION_TYPES)
        raise NodeFailed(f"std::switch: condition type {kind!r} is unknown; use one of {known}")
    actual = field(ctx.input, str(condition.get("field", "")))
    return actual is not None and compare(actual, condition.get("value"))


def condition_expression(condition: Mapping[str, Any]) -> str:
    """The expression of a `type: expression` condition (its `expression` or `value`)."""
    return str(condition.get("expression", condition.get("value", "")))


def _ordered(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def safe(actual: Any, expected: Any) -> bool:
        try:
            return expected is not None and bool(compare(actual, expected))
        except TypeError:  # "abc" > 1: not comparable, so not true
            return False

    return safe


def _matches(actual: Any, pattern: Any) -> bool:
    return pattern is not None and re.search(str(pattern), str(actual)) is not None


_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    "greater_than": _ordered(operator.gt),
    "less_than": _ordered(operator.lt),
    "equals": operator.eq,
    "matches": _matches,
}


# std::merge


def merge_strategy(config: Mapping[str, Any]) -> MergeStrategy:
    """The canonical strategy of a merge config (`all` -> `wait_all`, ...)."""
    return MERGE_STRATEGIES.get(str(config.get("strategy", "wait_all")), "wait_all")


def merge(ctx: NodeContext) -> NodeResult:
    """Emit what arrived: `{source: output}` in arrival order, or the first output.

    The engine decides when a merge fires and passes the inputs in `scope["inputs"]`.
    """
    inputs = ctx.scope.get("inputs")
    if inputs is None:
        return NodeResult(ctx.input)
    if merge_strategy(ctx.config) == "first_arrival":
        return NodeResult(next(iter(inputs.values()), None))
    return NodeResult(dict(inputs))


# std::split


def split(ctx: NodeContext) -> NodeResult:
    """Emit the list to fan out over on `out`; the engine runs the branch per item."""
    where = ctx.config.get("field", "")
    items = where if isinstance(where, list | tuple) else field(ctx.input, str(where))
    if isinstance(items, list | tuple):
        return NodeResult(list(items), ("out",))
    found = "missing" if items is None else f"a {type(items).__name__}, not a list"
    return handled_error(
        f"std::split: field {where!r} of the input is {found}; point `field` at a list",
        field=str(where),
    )


# std::loop


def loop(ctx: NodeContext) -> NodeResult:
    """`continue` to run the body again, `exit` once the cap or the condition says so."""
    iteration = int(ctx.scope.get("iteration", 0))
    port = "exit" if _loop_done(ctx, iteration) else "continue"
    return NodeResult(ctx.input, (port,))


def loop_expressions(config: Mapping[str, Any]) -> dict[str, Any]:
    """`until_expression`/`while_expression`, at the top level or under `condition`."""
    condition = config.get("condition")
    nested = condition if isinstance(condition, Mapping) else {}
    return {k: nested.get(k, config.get(k)) for k in LOOP_EXPRESSIONS if k in nested or k in config}


def _loop_done(ctx: NodeContext, iteration: int) -> bool:
    if iteration >= int(ctx.config.get("max_iterations") or DEFAULT_MAX_ITERATIONS):
        return True
    expressions = loop_expressions(ctx.config)
    names = {"iteration": iteration}
    until = expressions.get("until_expression")
    if until is not None and ctx.evaluate(until, names):
        return True
    during = expressions.get("while_expression")
    return during is not None and not ctx.evaluate(during, names)


# std::wait


def wait(ctx: NodeContext) -> NodeResult:
    """Ask the engine to suspend for a decision, on the `wait` port."""
    config = ctx.config
    metadata = {name: field(ctx.input, name) for name in config.get("metadata_fields") or ()}
    return NodeResult(
        {
            "hook_id": str(config.get("hook_id") or ctx.node.id),
            "timeout_secs": config.get("timeout_secs"),
            "timeout_action": config.get("timeout_action", Decision.REJECT),
            "metadata": metadata,
        },
        ("wait",),
    )
