"""Calling user Python: import `module:function` and call it with a node's input.

`invoke` adapts to the function's signature: no parameter -> `fn()`, one -> `fn(data)`,
several -> `fn(**those keys of data)`. Coroutine functions are awaited on the loop; plain
functions run in a worker thread so they cannot block the engine. When the function
raises, its traceback (user frames only) is printed to stderr, which a Python step
captures into its log, as a Python program's own stderr.
"""

from __future__ import annotations

import asyncio
import functools
import importlib
import inspect
from collections.abc import Callable, Mapping
from typing import Any

from xene.errors import NodeFailed
from xene.frozen import frozen

_NAMED = (
    inspect.Parameter.POSITIONAL_ONLY,
    inspect.Parameter.POSITIONAL_OR_KEYWORD,
    inspect.Parameter.KEYWORD_ONLY,
)


@frozen
class _Shape:
    """The parameters a called function takes, read once per function."""

    names: tuple[str, ...]
    required: frozenset[str]
    var_positional: bool


async def invoke(
    fn: Callable[..., Any], data: Any, *, kwargs: Mapping[str, Any] | None = None
) -> Any:
    """Call `fn` with `data` as its signature asks (or with `kwargs` when given).

    Raises:
        NodeFailed: the function's parameters cannot be filled from `data`.
    """
    args, keywords = _arguments(fn, data) if kwargs is None else ((), dict(kwargs))
    try:
        if inspect.iscoroutinefunction(fn):
            return await fn(*args, **keywords)
        result = await asyncio.to_thread(fn, *args, **keywords)
        if inspect.isawaitable(result):
            return await result
        return result
    except Exception as exc:  # the user's code raised: its traceback goes to the log
        from xene.tracebacks import print_traceback

        print_traceback(exc)
        raise


def _arguments(fn: Callable[..., Any], data: Any) -> tuple[tuple[Any, ...], dict[str, Any]]:
    try:
        shape = _shape(fn)
    except TypeError:  # an unhashable callable: not cached
        shape = _shape.__wrapped__(fn)
    if shape is None or len(shape.names) == 1 or (not shape.names and shape.var_positional):
        return (data,), {}
    if not shape.names:
        return (), {}
    if not isinstance(data, Mapping):
        raise NodeFailed(
            f"{_name(fn)} takes {', '.join(shape.names)}, but its input is a "
            f"{type(data).__name__}, not a mapping holding those names"
        )
    missing = sorted(shape.required - data.keys())
    if missing:
        raise NodeFailed(
            f"{_name(fn)} needs {', '.join(missing)}, missing from its input "
            f"(keys: {', '.join(map(str, data)) or 'none'}); pass them or give defaults"
        )
    return (), {name: data[name] for name in shape.names if name in data}


@functools.lru_cache(maxsize=512)
def _shape(fn: Callable[..., Any]) -> _Shape | None:
    try:
        parameters = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return None  # builtins without a signature: give them the data
    named = [p for p in parameters if p.kind in _NAMED]
    required = {p.name for p in named if p.default is inspect.Parameter.empty}
    var_positional = any(p.kind is inspect.Parameter.VAR_POSITIONAL for p in parameters)
    return _Shape(tuple(p.name for p in named), frozenset(required), var_positional)


def _name(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}:{getattr(fn, '__qualname__', repr(fn))}"


@functools.lru_cache(maxsize=512)
def import_callable(reference: str) -> Callable[..., Any]:
    """Import `module:function` (or `module:Class.method`) once and return it.

    Raises:
        NodeFailed: the reference is malformed, the module or attribute does not exist,
            or the attribute is not callable.
    """
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise NodeFailed(f"call {reference!r} must be of the form module:function")
    target: Any = _import_module(module_name, reference)
    for part in attribute.split("."):
        try:
            target = getattr(target, part)
        except AttributeError:
            raise NodeFailed(
                f"call {reference!r}: {module_name} has no attribute {attribute!r}; "
                "check the function name"
            ) from None
    if not callable(target):
        raise NodeFailed(
            f"call {reference!r}: {attribute} is not callable (its type is "
            f"{type(target).__name__}); name a function"
        )
    return target  # type: ignore[no-any-return]


def _import_module(module_name: str, reference: str) -> Any:
    try:
        return importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        raise NodeFailed(
            f"call {reference!r}: cannot import {module_name!r} ({exc}); "
            "install it or run from the directory that holds it"
        ) from exc
    except Exception as exc:
        raise NodeFailed(
            f"call {reference!r}: importing {module_name!r} failed: {type(exc).__name__}: {exc}"
        ) from exc
