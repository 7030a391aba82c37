"""Helpers for the loader tests: load text and read back the problems as text."""

from __future__ import annotations

import dataclasses
import textwrap
from collections.abc import Callable
from typing import Any

import pytest

from xene import ir
from xene.errors import InvalidDefinition
from xene.spec.load import load_text

Errors = Callable[..., list[str]]


def dedent(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


@pytest.fixture
def errors() -> Errors:
    """`errors(text, filename)`: every problem of a definition, as `file:line: path: msg`."""

    def collect(text: str, filename: str = "wf.yaml") -> list[str]:
        with pytest.raises(InvalidDefinition) as caught:
            load_text(dedent(text), filename)
        return [str(problem) for problem in caught.value.problems]

    return collect


@pytest.fixture
def load() -> Callable[..., ir.Workflow]:
    """`load(text, filename)`: the IR of a valid definition."""

    def compile_text(text: str, filename: str = "wf.yaml") -> ir.Workflow:
        return load_text(dedent(text), filename)

    return compile_text


def without_locations(value: Any) -> Any:
    """The same IR with every `Location` reset, to compare two sources of one workflow."""
    if isinstance(value, ir.Location):
        return ir.Location()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {
            f.name: without_locations(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.init
        }
        return dataclasses.replace(value, **changes)
    if isinstance(value, tuple):
        return tuple(without_locations(item) for item in value)
    return value
