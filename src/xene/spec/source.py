"""Reading a definition file: text -> plain values plus the line of every key path.

YAML is read by `xene.spec.yaml_reader` (imported only for YAML: PyYAML costs a start-up)
into plain values, never into other Python objects.

JSON is parsed by `json` (so a malformed file reports json's line and column); the line of
each key comes from one scan of its tokens, the lines the YAML reader would record. What
that scan leaves to the YAML reader (duplicate keys, too deep, too many values, rare line
breaks) is walked by it as YAML, whose problems then say what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import field
from pathlib import Path
from typing import Any, NoReturn

from xene.errors import InvalidDefinition, Problem
from xene.frozen import frozen
from xene.ir import Location

MAX_BYTES = 10 * 1024 * 1024
MAX_DEPTH = 100
MAX_VALUES = 1_000_000
"""Values after expanding aliases: more means an alias bomb, not a workflow."""


@frozen
class Document:
    """A parsed definition: its values, where each key path came from, and the
    non-fatal problems found while reading (duplicate keys, refused tags)."""

    file: str
    data: Any
    lines: Mapping[str, int] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()
    booleans: Mapping[str, str] = field(default_factory=dict)
    """Key path -> text of each unquoted YAML value read as a boolean (`on`, `yes`, `off`
    are booleans in YAML 1.1): where a name was meant, errors say to quote it."""

    def loc(self, path: str) -> Location:
        """The location of `path` (`a.b[0].c`), or of its nearest ancestor with a line."""
        probe = path
        while probe:
            line = self.lines.get(probe)
            if line:
                return Location(self.file, line, path)
            probe = parent_path(probe)
        return Location(self.file, self.lines.get("", 0), path)


def parent_path(path: str) -> str:
    """`a.b[0]` -> `a.b`; `a.b` -> `a`; `a` -> ``."""
    cut = max(path.rfind("."), path.rfind("["))
    return path[:cut] if cut > 0 else ""


def join(path: str, key: str) -> str:
    """`join("a.b", "c")` -> `a.b.c`; `join("", "c")` -> `c`."""
    return f"{path}.{key}" if path else key


def read(path: str | Path) -> Document:
    """Read and parse one definition file; raises InvalidDefinition when it cannot."""
    file = str(path)
    try:
        size = Path(path).stat().st_size
        if size > MAX_BYTES:
            fail(file, f"the file is {size:,} bytes; definitions are limited to 10 MB")
        raw = Path(path).read_bytes()
    except OSError as exc:
        fail(file, f"cannot read the file: {exc.strerror or exc}")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(file, f"the file is not UTF-8 text (bad byte at offset {exc.start})")
    return parse(text, file)


def parse(text: str, filename: str = "<memory>") -> Document:
    """Parse YAML, or JSON when `filename` ends in `.json`; raises InvalidDefinition."""
    if len(text) > MAX_BYTES:
        fail(filename, "the text is larger than 10 MB; definitions are limited to 10 MB")
    if filename.lower().endswith(".json"):
        return _parse_json(text, filename)
    from xene.spec import yaml_reader

    return yaml_reader.parse(text, filename)


def _parse_json(text: str, filename: str) -> Document:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        message = f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        raise InvalidDefinition([Problem(Location(filename, exc.lineno), message)]) from None
    except RecursionError:
        fail(filename, f"the JSON is nested more than {MAX_DEPTH} levels deep; flatten it")
    lines = json_lines(text)
    if lines is None:
        from xene.spec import yaml_reader

        return yaml_reader.parse_json(text, filename, data)
    return Document(filename, data, lines)


def depth(value: Any) -> int:
    """Nesting depth of plain values (a scalar is 0, `[1]` is 1), without recursion."""
    deepest, todo = 0, [(value, 0)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level + 1)
            todo.extend((child, level + 1) for child in item)
    return deepest


def fail(filename: str, message: str, line: int = 0, path: str = "") -> NoReturn:
    raise InvalidDefinition([Problem(Location(filename, line, path), message)])


_JSON_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[{}\[\]]|[^\s{}\[\],:"]+')
"""A string, a bracket, or another scalar (`,` and `:` are implied by the brackets)."""
_RARE_BREAK = re.compile("\r(?!\n)|[\x85\u2028\u2029]")
"""Line breaks the YAML reader counts besides \\n and \\r\\n."""


class _Open:
    """A mapping (`keys` set) or a list being scanned."""

    __slots__ = ("count", "key", "keys", "path")

    def __init__(self, path: str, keys: set[str] | None) -> None:
        self.path, self.keys = path, keys
        self.key: str | None = None
        self.count = 0


def json_lines(text: str) -> dict[str, int] | None:
    """The line of every key and list item of valid JSON `text`, as the YAML reader records
    them; None where that reader must walk it (a duplicate key, nesting deeper than
    MAX_DEPTH, more than MAX_VALUES values, a line break other than \\n)."""
    if _RARE_BREAK.search(text):
        return None
    lines, line, last, total = {"": 1}, 1, 0, 0
    stack: list[_Open] = []
    for match in _JSON_TOKEN.finditer(text):
        token, start = match[0], match.start()
        line, last = line + text.count("\n", last, start), start
        top = stack[-1] if stack else None
        if token in ("}", "]"):
            stack.pop()
            _ended(stack)
        elif top is not None and top.keys is not None and top.key is None:
            top.key = json.loads(token) if "\\" in token else token[1:-1]
            if top.key in top.keys:
                return None
            top.keys.add(top.key)
            lines[join(top.path, top.key)] = line
        else:
            total += 1
            path = _value_path(top)
            if top is None or top.keys is None:
                lines[path] = line
            if token in ("{", "["):
                if len(stack) >= MAX_DEPTH:
                    return None
                stack.append(_Open(path, set() if token == "{" else None))
            else:
                _ended(stack)
    return lines if total <= MAX_VALUES else None


def _value_path(top: _Open | None) -> str:
    if top is None:
        return ""
    return join(top.path, top.key or "") if top.keys is not None else f"{top.path}[{top.count}]"


def _ended(stack: list[_Open]) -> None:
    """A value inside `stack[-1]` has ended: next comes a key, or the next item."""
    if stack:
        stack[-1].key = None
        stack[-1].count += 1
