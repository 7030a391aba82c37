"""Selectors: `${node.field.path}` references inside node config, resolved when a node starts.

Pure: parsing and lookup over plain mappings; no I/O.

Roots: a node id (its output), `input` (this node's input), `pipeline` (`config`, `name`),
`run` (`id`, `input`), `secrets`, `trace_id`, and inside a split or loop body the split's
`item`/`index` or the loop's `iteration` under that node's id.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

SELECTOR = re.compile(r"\$\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+|\[\d+\])*)\s*\}")
BUILTIN_ROOTS = frozenset({"input", "pipeline", "run", "secrets", "trace_id", "env"})

Path = tuple[str, ...]
Lookup = Callable[[str], Any]
"""`lookup(root) -> value`; raises KeyError for an unknown root."""

_MISSING = object()


def split_path(text: str) -> Path:
    """`a.b[0].c` -> ("a", "b", "0", "c")."""
    return tuple(part for part in re.split(r"\.|\[|\]", text) if part)


def find(text: str) -> Iterator[Path]:
    """Every selector path in a string."""
    for match in SELECTOR.finditer(text):
        yield split_path(match.group(1))


def find_in(value: Any) -> Iterator[tuple[str, Path]]:
    """Every `(key.path, selector path)` in a nested config value."""
    yield from _walk(value, "")


def _walk(value: Any, where: str) -> Iterator[tuple[str, Path]]:
    if isinstance(value, str):
        for path in find(value):
            yield where, path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _walk(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{where}[{index}]")


def dig(value: Any, path: Path) -> Any:
    """Follow `path` into nested mappings and lists; None where it leads nowhere."""
    for part in path:
        if isinstance(value, Mapping):
            value = value.get(part, _MISSING)
        elif isinstance(value, list | tuple) and part.lstrip("-").isdigit():
            index = int(part)
            value = value[index] if -len(value) <= index < len(value) else _MISSING
        else:
            value = _MISSING
        if value is _MISSING:
            return None
    return value


def resolve_path(path: Path, lookup: Lookup) -> Any:
    return dig(lookup(path[0]), path[1:])


def resolve(value: Any, lookup: Lookup) -> Any:
    """Resolve every selector in a nested value.

    A string that is exactly one selector becomes the selected value with its type kept
    (a number stays a number); selectors inside longer strings are interpolated as text.
    """
    if isinstance(value, str):
        return _resolve_text(value, lookup)
    if isinstance(value, Mapping):
        return {key: resolve(item, lookup) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [resolve(item, lookup) for item in value]
    return value


def _resolve_text(text: str, lookup: Lookup) -> Any:
    if "${" not in text:
        return text
    whole = SELECTOR.fullmatch(text.strip())
    if whole:
        return resolve_path(split_path(whole.group(1)), lookup)

    def substitute(match: re.Match[str]) -> str:
        found = resolve_path(split_path(match.group(1)), lookup)
        return "" if found is None else _as_text(found)

    return SELECTOR.sub(substitute, text)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping | list):
        import json

        return json.dumps(value, separators=(",", ":"), default=str)
    return str(value)
