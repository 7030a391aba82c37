"""Reading YAML into plain values, with the line of every key path.

YAML is read event by event (libyaml when available) into plain dicts, lists, strings,
numbers, booleans and None, never into other Python objects: any tag outside that set
(`!!python/object:...`, `!custom`) is refused with its line. The walk is iterative, so
nesting depth (at most 100) is checked before anything deep is built, and aliases are
counted after expansion so that an "alias bomb" is refused instead of expanded.

Imported only to read YAML (and the rare JSON its quick scan leaves to this reader).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, NoReturn, Protocol, cast

import yaml

from xene.errors import InvalidDefinition, Problem
from xene.ir import Location
from xene.spec.source import MAX_DEPTH, MAX_VALUES, Document, depth, fail, join

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_CONSTRUCTOR = yaml.constructor.SafeConstructor()
_T = "tag:yaml.org,2002:"
_TEXT_TAGS = frozenset({f"{_T}str", f"{_T}timestamp", f"{_T}value"})
_TYPED_TAGS = {
    f"{_T}bool": _CONSTRUCTOR.construct_yaml_bool,
    f"{_T}int": _CONSTRUCTOR.construct_yaml_int,
    f"{_T}float": _CONSTRUCTOR.construct_yaml_float,
}
_MERGE = f"{_T}merge"
_KEY_TAGS = frozenset({*_TEXT_TAGS, *_TYPED_TAGS, _MERGE, f"{_T}null"})
_PLAIN_TAGS = (None, "!")


def parse(text: str, filename: str) -> Document:
    """Walk YAML `text`; raises InvalidDefinition."""
    try:
        return _Walker(text, filename).run()
    except yaml.MarkedYAMLError as exc:
        raise InvalidDefinition([_yaml_problem(filename, exc, text)]) from None
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, max(exc.position, 0)) + 1
        fail(
            filename,
            f"invalid YAML: character #x{exc.character:04x} is not allowed "
            "(control characters cannot appear in a definition)",
            line,
        )
    except yaml.YAMLError as exc:
        fail(filename, f"invalid YAML: {exc}")


def parse_json(text: str, filename: str, data: Any) -> Document:
    """The lines and problems of valid JSON `text` (parsed as `data`), walked as YAML."""
    try:
        walked = _Walker(text, filename).run()
    except yaml.YAMLError:
        # Valid JSON that the YAML 1.1 reader cannot follow (rare): no line numbers then.
        if depth(data) > MAX_DEPTH:
            fail(filename, f"the JSON is nested more than {MAX_DEPTH} levels deep; flatten it")
        return Document(filename, data, {"": 1})
    return dataclasses.replace(walked, data=data, booleans={})  # JSON's true is meant


def _yaml_problem(filename: str, exc: yaml.MarkedYAMLError, text: str) -> Problem:
    mark = exc.problem_mark or exc.context_mark
    what = exc.problem or "malformed YAML"
    context = f" ({exc.context})" if exc.context else ""
    where = f" at column {mark.column + 1}" if mark else ""
    line = mark.line + 1 if mark else 0
    lines = text.splitlines()
    if 0 < line <= len(lines) and lines[line - 1][: mark.column + 1 if mark else 0].count("\t"):
        where += "; YAML indents with spaces, not tabs"
    return Problem(Location(filename, line), f"invalid YAML: {what}{context}{where}")


class _EventSource(Protocol):
    """The part of a PyYAML loader the walker uses (typed here; PyYAML's is not)."""

    def check_event(self) -> bool: ...
    def get_event(self) -> yaml.Event: ...
    def resolve(self, kind: type[yaml.Node], value: str, implicit: tuple[bool, bool]) -> str: ...
    def dispose(self) -> None: ...


@dataclass(slots=True)
class _Frame:
    """An open mapping (`entries` set) or sequence (`items` set) being built."""

    path: str
    line: int
    anchor: str | None
    refused: bool
    items: list[Any] | None = None
    entries: dict[str, Any] | None = None
    merged: dict[str, Any] = field(default_factory=dict)
    size: int = 1
    height: int = 1
    key: str | None = None
    key_is_merge: bool = False


class _Walker:
    """Builds plain values from YAML events, recording lines and problems as it goes."""

    def __init__(self, text: str, filename: str) -> None:
        self.loader = cast(_EventSource, _Loader(text))
        self.file = filename
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int, int]] = {}
        self.lines: dict[str, int] = {"": 1}
        self.booleans: dict[str, str] = {}
        self.problems: list[Problem] = []
        self.total = 0
        self.documents = 0
        self.root: Any = None

    def run(self) -> Document:
        try:
            while self.loader.check_event():
                self._on(self.loader.get_event())
        finally:
            self.loader.dispose()
        return Document(self.file, self.root, self.lines, tuple(self.problems), self.booleans)

    def _on(self, event: yaml.Event) -> None:
        line = event.start_mark.line + 1 if event.start_mark else 0
        if isinstance(event, yaml.ScalarEvent):
            self._scalar(event, line)
        elif isinstance(event, yaml.AliasEvent):
            self._alias(event, line)
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            self._open(event, line)
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            self._close()
        elif isinstance(event, yaml.DocumentStartEvent):
            self.documents += 1
            if self.documents > 1:
                self._fatal("the file holds more than one YAML document (---); keep one", line)

    def _fatal(self, message: str, line: int, path: str = "") -> NoReturn:
        fail(self.file, message, line, path)

    def _problem(self, line: int, path: str, message: str) -> None:
        self.problems.append(Problem(Location(self.file, line, path), message))

    def _expects_key(self) -> bool:
        return (
            bool(self.stack) and self.stack[-1].entries is not None and (self.stack[-1].key is None)
        )

    def _child_path(self) -> str:
        if not self.stack:
            return ""
        top = self.stack[-1]
        if top.items is not None:
            return f"{top.path}[{len(top.items)}]"
        return join(top.path, top.key or "")

    def _start_value(self, line: int, grows: int) -> str:
        """Account for a new value (`grows` values after expansion); returns its path."""
        path = self._child_path()
        self.total += grows
        if self.total > MAX_VALUES:
            self._fatal(
                f"more than {MAX_VALUES:,} values once aliases (*name) are expanded; "
                "anchors must not multiply the document",
                line,
                path,
            )
        if not self.stack or self.stack[-1].items is not None:
            self.lines[path] = line
        return path

    def _scalar(self, event: yaml.ScalarEvent, line: int) -> None:
        tag = event.tag
        if tag in _PLAIN_TAGS:
            tag = self.loader.resolve(yaml.ScalarNode, event.value, event.implicit)
        if self._expects_key():
            self._key(event.value, tag, line)
            return
        path = self._start_value(line, 1)
        value = self._construct(tag, event.value, line, path)
        if isinstance(value, bool) and event.implicit[0]:
            self.booleans[path] = event.value
        if event.anchor:
            self.anchors[event.anchor] = (value, 1, 0)
        self._add(value, 1, 0)

    def _key(self, text: str, tag: str | None, line: int) -> None:
        top = self.stack[-1]
        assert top.entries is not None
        path = join(top.path, text)
        top.key, top.key_is_merge = text, tag == _MERGE
        if tag not in _KEY_TAGS:
            self._problem(line, path, _refused(tag))
        if top.key_is_merge:
            self.lines[path] = line
            return
        if text in top.entries:
            first = self.lines.get(path, 0)
            self._problem(
                line,
                path,
                f'duplicate key "{text}" (first on line {first}); each '
                "key may appear once here: rename or remove one",
            )
        else:
            self.lines[path] = line

    def _construct(self, tag: str | None, text: str, line: int, path: str) -> Any:
        if tag in _TEXT_TAGS:
            return text
        if tag == f"{_T}null":
            return None
        make = _TYPED_TAGS.get(tag or "")
        if tag is None or make is None:
            self._problem(line, path, _refused(tag))
            return None
        try:
            return make(yaml.ScalarNode(tag, text))
        except (ValueError, TypeError):
            kind = (tag or "").rsplit(":", 1)[-1]
            self._problem(line, path, f"{text!r} is not a valid {kind}")
            return None

    def _alias(self, event: yaml.AliasEvent, line: int) -> None:
        path = self._child_path()
        if self._expects_key():
            self._fatal("an alias (*name) cannot be used as a key", line, path)
        found = self.anchors.get(event.anchor or "")
        if found is None:
            inside = any(frame.anchor == event.anchor for frame in self.stack)
            why = "refers to the value it is inside" if inside else "has no anchor before it"
            self._fatal(
                f"alias *{event.anchor} {why}; define &{event.anchor} earlier, outside this value",
                line,
                path,
            )
        value, size, height = found
        if len(self.stack) + height > MAX_DEPTH:
            self._fatal(
                f"alias *{event.anchor} nests values more than {MAX_DEPTH} levels "
                "deep; flatten the structure",
                line,
            )
        self._start_value(line, size)
        self._add(value, size, height)

    def _open(self, event: yaml.CollectionStartEvent, line: int) -> None:
        path = self._child_path()
        if self._expects_key():
            self._fatal("a key must be plain text, not a list or mapping", line, path)
        if len(self.stack) >= MAX_DEPTH:
            self._fatal(f"values are nested more than {MAX_DEPTH} levels deep; flatten them", line)
        mapping = isinstance(event, yaml.MappingStartEvent)
        allowed = (*_PLAIN_TAGS, f"{_T}map" if mapping else f"{_T}seq")
        refused = event.tag not in allowed
        if refused:
            self._problem(line, path, _refused(event.tag))
        self._start_value(line, 1)
        frame = _Frame(path, line, event.anchor, refused)
        if mapping:
            frame.entries = {}
        else:
            frame.items = []
        self.stack.append(frame)

    def _close(self) -> None:
        frame = self.stack.pop()
        value: Any = frame.items
        if frame.entries is not None:
            value = {**frame.merged, **frame.entries} if frame.merged else frame.entries
        if frame.refused:
            value = None
        if frame.anchor:
            self.anchors[frame.anchor] = (value, frame.size, frame.height)
        self._add(value, frame.size, frame.height)

    def _add(self, value: Any, size: int, height: int) -> None:
        if not self.stack:
            self.root = value
            return
        top = self.stack[-1]
        top.size += size
        top.height = max(top.height, height + 1)
        if top.items is not None:
            top.items.append(value)
        elif top.key_is_merge:
            self._merge(top, value)
        elif top.entries is not None and top.key is not None:
            top.entries.setdefault(top.key, value)
        top.key, top.key_is_merge = None, False

    def _merge(self, top: _Frame, value: Any) -> None:
        path = join(top.path, "<<")
        line = self.lines.get(path, top.line)
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            self._problem(line, path, "`<<` merges a mapping, or a list of mappings, into this one")
            return
        for source in reversed(sources):
            top.merged.update(source)
        for key in top.merged:
            self.lines.setdefault(join(top.path, key), line)


def _refused(tag: str | None) -> str:
    shown = (tag or "").replace(_T, "!!")
    return (
        f"the YAML tag {shown} is not allowed: definitions hold only plain values "
        "(mappings, lists, text, numbers, booleans, null); remove the tag"
    )
