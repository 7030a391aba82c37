"""User frames of a traceback: Xene's own and Python's machinery left out."""

from __future__ import annotations

import asyncio
import json

from xene import tracebacks
from xene.errors import NodeFailed


def user_code(data: str) -> object:
    return json.loads(data)  # raises inside the standard library


def test_frames_of_the_standard_library_are_left_out() -> None:
    try:
        user_code("{not json")
    except ValueError as exc:
        frames = tracebacks.user_frames(exc)
    assert [f.name for f in frames][-1] == "user_code"
    assert all("json" not in f.filename for f in frames)


def test_frames_of_xene_and_asyncio_are_left_out() -> None:
    from xene.nodes.python_call import invoke

    def divide(data: int) -> float:
        return 1 / data

    async def call() -> None:
        await invoke(divide, 0)

    try:
        asyncio.run(call())
    except ZeroDivisionError as exc:
        names = [f.name for f in tracebacks.user_frames(exc)]
    assert names[-2:] == ["call", "divide"]
    assert "invoke" not in names


def test_an_error_xene_raised_from_a_user_error_shows_the_user_frames() -> None:
    try:
        user_code("[")
    except ValueError as exc:
        cause = exc
    wrapped = NodeFailed("importing 'etl' failed")
    wrapped.__cause__ = cause
    assert tracebacks.user_frames(wrapped)[-1].name == "user_code"


def test_an_error_without_user_frames_keeps_its_message_alone() -> None:
    assert tracebacks.with_traceback("boom", NodeFailed("boom")) == "boom"


def test_the_message_comes_first_then_the_frames() -> None:
    try:
        user_code("[")
    except ValueError as exc:
        text = tracebacks.with_traceback("JSONDecodeError: ...", exc)
    lines = text.splitlines()
    assert lines[:2] == ["JSONDecodeError: ...", tracebacks.HEADER]
    assert lines[-1] == "    return json.loads(data)  # raises inside the standard library"
