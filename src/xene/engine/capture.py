"""What Python steps print becomes their step output, line by line, like a shell step's.

`sys.stdout` and `sys.stderr` are replaced once, while Python steps run, by a proxy that
looks up the current step in a context variable: code of a step (in its thread, or as a
task on the loop) writes to that step's log; everything else goes to the real stream.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO


class _StepOutput:
    """Collects a step's writes into lines and hands each to the loop."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_line: Callable[[str], None]) -> None:
        self.loop = loop
        self.on_line = on_line
        self.partial = ""
        self.loop_thread = threading.get_ident()

    def write(self, text: str) -> None:
        *lines, self.partial = (self.partial + text).split("\n")
        for line in lines:
            self._send(line)

    def flush(self) -> None:
        if self.partial:
            self._send(self.partial)
            self.partial = ""

    def _send(self, line: str) -> None:
        # An empty context: the listener must not see itself as inside the step. From
        # the loop's own thread, deliver at once: lines a worker thread sent earlier were
        # queued before its result, so they have been delivered already.
        if threading.get_ident() == self.loop_thread:
            contextvars.Context().run(self.on_line, line)
        else:
            self.loop.call_soon_threadsafe(self.on_line, line, context=contextvars.Context())


_current: contextvars.ContextVar[_StepOutput | None] = contextvars.ContextVar(
    "xene_step_output", default=None
)


class _Proxy(io.TextIOBase):
    def __init__(self, real: TextIO) -> None:
        self.real = real

    def write(self, text: str) -> int:
        target = _current.get()
        if target is None:
            return self.real.write(text)
        target.write(text)
        return len(text)

    def flush(self) -> None:
        if _current.get() is None:
            self.real.flush()

    def isatty(self) -> bool:
        return self.real.isatty()

    def fileno(self) -> int:
        return self.real.fileno()

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return self.real.encoding


_active = [0]


def _install() -> None:
    """Proxy the streams while any step captures; put them back when the last one ends."""
    _active[0] += 1
    if _active[0] == 1:
        sys.stdout = _Proxy(sys.stdout)
        sys.stderr = _Proxy(sys.stderr)


def _uninstall() -> None:
    _active[0] -= 1
    if _active[0] == 0:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            if isinstance(stream, _Proxy):
                setattr(sys, name, stream.real)


@contextmanager
def step_output(on_line: Callable[[str], None]) -> Iterator[None]:
    """Within this block (and threads started from it with its context), print() goes to
    `on_line`, one call per line."""
    _install()
    sink = _StepOutput(asyncio.get_running_loop(), on_line)
    token = _current.set(sink)
    try:
        yield
    finally:
        sink.flush()
        _current.reset(token)
        _uninstall()
