"""What the subcommands share: loading definitions with clear errors, reading inputs."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from xene.ir import Workflow

if TYPE_CHECKING:
    from xene.errors import Problem


class UsageError(Exception):
    """Bad command-line input: printed as `xene: <message>`, exit code 2."""


def load_workflow(path: str, *, to_run: bool = True) -> Workflow | None:
    """The file's workflow, or None after printing every problem to stderr. With
    `to_run`, what cannot run yet (`validate.not_runnable`) is a problem too."""
    from xene.errors import InvalidDefinition
    from xene.spec.load import load_file
    from xene.spec.validate import not_runnable

    if not Path(path).exists():
        print(f"xene: {path}: no such file", file=sys.stderr)
        return None
    try:
        workflow = load_file(path)
    except InvalidDefinition as exc:
        _print_problems(path, exc.problems, "")
        return None
    blocked = not_runnable(workflow) if to_run else []
    if blocked:
        _print_problems(path, blocked, ": it cannot run yet (`xene validate` accepts it)")
        return None
    return workflow


def _print_problems(path: str, problems: Sequence[Problem], why: str) -> None:
    for problem in problems:
        print(problem, file=sys.stderr)
    count = len(problems)
    print(f"{path}: {count} problem{'s' if count != 1 else ''}{why}", file=sys.stderr)


def parse_input(text: str | None) -> Any:
    """`--input`: JSON text, or `@file` holding JSON."""
    if text is None:
        return None
    source = "--input"
    if text.startswith("@"):
        source = text[1:]
        try:
            text = Path(source).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"--input {source}: cannot read the file ({exc.strerror})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise UsageError(
            f"{source}:{exc.lineno}: not valid JSON ({exc.msg}); "
            """pass JSON such as '{"order_id": 7}' or @file.json"""
        ) from exc


def parse_pairs(pairs: list[str] | None, flag: str) -> dict[str, str]:
    """`--env K=V` style options into a dict."""
    result: dict[str, str] = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise UsageError(f"{flag} {pair!r}: expected KEY=VALUE")
        result[key] = value
    return result


def fail_usage(message: str) -> int:
    print(f"xene: {message}", file=sys.stderr)
    return 2


def positive_int(text: str) -> int:
    """An argparse type: a whole number of 1 or more."""
    return whole_number(text, 1)


def whole_number(text: str, least: int, meaning: str = "") -> int:
    """A whole number of `least` or more (`meaning`: what `least` means, for the error)."""
    import argparse

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < least:
        raise argparse.ArgumentTypeError(f"must be {least}{meaning} or more, got {value}")
    return value


def positive_seconds(text: str) -> float:
    """An argparse type: a number of seconds above 0."""
    import argparse

    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, got {text}")
    return value
