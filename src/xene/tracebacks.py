"""User code's tracebacks, without Xene's frames or Python's own machinery (asyncio,
threads, importlib): what a workflow file that fails at import, or a Python task that
raises, shows its author."""

from __future__ import annotations

import functools
import os
import sys
import traceback

HEADER = "Traceback (your code, most recent call last):"


def user_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    """The frames of `exc`'s traceback in user code; when it has none (Xene wrapped the
    error), those of the error it was raised from."""
    current: BaseException | None = exc
    while current is not None:
        frames = [f for f in traceback.extract_tb(current.__traceback__) if _users(f.filename)]
        if frames:
            return frames
        current = current.__cause__
    return []


def _users(filename: str) -> bool:
    if filename.startswith("<frozen"):  # importlib's bootstrap
        return False
    return not os.path.realpath(filename).startswith(_not_users())


@functools.cache
def _not_users() -> tuple[str, ...]:
    """Xene's own directory and the standard library's (asked only when an error is
    shown: `xene run` does not import sysconfig to start)."""
    import sysconfig

    places = [os.path.dirname(os.path.realpath(__file__))]
    places += [os.path.realpath(sysconfig.get_path(name)) for name in ("stdlib", "platstdlib")]
    return tuple(place + os.sep for place in places)


def frame_lines(frames: list[traceback.FrameSummary]) -> list[str]:
    """`  File "etl.py", line 7, in double` and its source line, per frame."""
    lines = []
    for frame in frames:
        lines.append(f'  File "{frame.filename}", line {frame.lineno}, in {frame.name}')
        if frame.line:
            lines.append(f"    {frame.line.strip()}")
    return lines


def with_traceback(message: str, exc: BaseException) -> str:
    """`message`, then the user frames of `exc` (the message alone when there are none):
    how a Python task's failure is kept in its node's error."""
    frames = user_frames(exc)
    return "\n".join([message, HEADER, *frame_lines(frames)]) if frames else message


def print_traceback(exc: BaseException) -> None:
    """Print the error as Python would, user frames only, to stderr (in a Python step,
    that is the step's log)."""
    frames = user_frames(exc)
    text = "".join(traceback.format_exception_only(type(exc), exc)).rstrip("\n")
    lines = [HEADER, *frame_lines(frames), text] if frames else [text]
    print("\n".join(lines), file=sys.stderr)
