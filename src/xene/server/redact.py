"""Credentials out of what the API returns: trigger params and definition texts.

A value is a credential when its key names one: `secret`, `token`, `password`,
`api_key`, `authorization`, or a name ending in `_secret`, `_token`, `_password`,
`_api_key` (any letter case, `-` as `_`: `GITHUB_TOKEN` in `envs` too). Keys naming
where a credential comes from (`secret_env`) are not credentials, nor is a value that
only refers to a stored secret (`${secrets.NAME}`).

`redact_text` replaces each such value in a definition's text by `"***"` and leaves
every other character as it was: comments and layout stay, the text stays valid YAML or
JSON, and its line numbers still match error messages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from xene.frozen import frozen

PLACEHOLDER = "***"
_NAMES = frozenset(
    {
        "secret", "token", "password", "passwd", "passphrase", "api_key", "apikey",
        "access_key", "private_key", "client_secret", "access_token", "auth_token",
        "refresh_token", "authorization", "bearer",
    }
)  # fmt: skip
_SUFFIXES = ("_secret", "_token", "_password", "_passwd", "_api_key", "_apikey", "_private_key")
_REFERENCE = re.compile(r"\$\{\s*secrets\.[\w.-]+\s*\}")
_PROPERTIES = re.compile(r"(?:[&!]\S*\s+)*")
"""An anchor (`&a`) and a tag (`!!str`) before a scalar's value."""
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
UNREADABLE = "# the definition is not shown: it could not be read to hide its credentials\n"


def is_credential(key: object) -> bool:
    name = str(key).strip().lower().replace("-", "_")
    return name in _NAMES or name.endswith(_SUFFIXES)


def _hidden(value: object) -> bool:
    """Is this scalar a value to hide (not empty, not null, not a secret reference)?"""
    if value is None or isinstance(value, bool) or value == "":
        return False
    return not (isinstance(value, str) and _REFERENCE.fullmatch(value.strip()))


def masked(value: Any, credential: bool = False) -> Any:
    """A copy of plain values (trigger params) with every credential replaced by `***`."""
    if isinstance(value, Mapping):
        return {k: masked(v, is_credential(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(item, credential) for item in value]
    return PLACEHOLDER if credential and _hidden(value) else value


@frozen
class Found:
    """A credential value in a text: where it is, and what it says."""

    start: int
    end: int
    line: int
    path: str
    value: str


@dataclass(slots=True)
class _Frame:
    mapping: bool
    path: str
    credential: bool = False
    """A sequence that is a credential's value: its scalars are credentials."""
    key: str | None = None
    at_value: bool = False
    index: int = 0
    root: bool = False
    """The stream: its node (the document) has the path ``."""

    def child(self) -> tuple[str, bool]:
        """The path of the node that comes next in this frame, and is it a credential?"""
        if self.root:
            return "", False
        if not self.mapping:
            return f"{self.path}[{self.index}]", self.credential
        key = "?" if self.key is None else self.key
        path = f"{self.path}.{key}" if self.path else key
        return path, self.key is not None and is_credential(self.key)

    def took(self, key: str | None = None) -> None:
        """One node of this frame was read (a key, if `at_value` was False)."""
        if not self.mapping:
            self.index += 1
        elif self.at_value:
            self.at_value, self.key = False, None
        else:
            self.at_value, self.key = True, key


def credentials(text: str) -> Iterator[Found]:
    """Every credential value in a YAML (or JSON) text; yaml.YAMLError if it is not one."""
    stack = [_Frame(mapping=False, path="", root=True)]
    anchors: dict[str, Found] = {}
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        top = stack[-1]
        if isinstance(event, yaml.ScalarEvent):
            if top.mapping and not top.at_value:
                top.took(event.value)
                continue
            path, credential = top.child()
            found = _scalar(text, event, path)
            if event.anchor:
                anchors[event.anchor] = found
            plain_null = event.style is None and event.value in _NULLS
            if credential and not plain_null and _hidden(event.value):
                yield found
            top.took()
        elif isinstance(event, yaml.AliasEvent):
            path, credential = top.child()
            if credential and event.anchor in anchors and not (top.mapping and not top.at_value):
                yield anchors[event.anchor]
            top.took()
        elif isinstance(event, yaml.MappingStartEvent | yaml.SequenceStartEvent):
            path, credential = top.child()
            mapping = isinstance(event, yaml.MappingStartEvent)
            stack.append(_Frame(mapping, path, credential=credential and not mapping))
        elif isinstance(event, yaml.MappingEndEvent | yaml.SequenceEndEvent):
            stack.pop()
            stack[-1].took()


def _scalar(text: str, event: yaml.ScalarEvent, path: str) -> Found:
    assert event.start_mark is not None  # the parser sets both marks
    assert event.end_mark is not None
    start, end = event.start_mark.index, event.end_mark.index
    skip = _PROPERTIES.match(text, start, end)
    value_start = skip.end() if skip else start
    return Found(value_start, end, event.start_mark.line + 1, path, event.value)


def redact_text(text: str) -> str:
    """The text with every credential value replaced by `"***"` (same lines). A text
    that YAML cannot read (rare JSON) is shown as JSON, re-rendered, credentials masked."""
    try:
        found = sorted({(f.start, f.end) for f in credentials(text)}, reverse=True)
    except yaml.YAMLError:
        return _rendered(text)
    for start, end in found:
        replaced = text[start:end]
        text = text[:start] + f'"{PLACEHOLDER}"' + "\n" * replaced.count("\n") + text[end:]
    return text


def _rendered(text: str) -> str:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return UNREADABLE
    return json.dumps(masked(data), indent=2) + "\n"


def placeholders(text: str) -> list[Found]:
    """Credentials whose value is `***`: a redacted text applied back, which would make
    `***` the secret. Empty for a text YAML cannot read (the loader reports it)."""
    try:
        found = {(f.start, f.end): f for f in credentials(text) if f.value == PLACEHOLDER}
    except yaml.YAMLError:
        return []
    return sorted(found.values(), key=lambda f: f.start)
