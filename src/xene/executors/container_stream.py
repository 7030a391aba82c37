"""Reading an exec'd step's output from the engine, on a thread of its own.

The engine sends the exec's stdout and stderr as frames on one connection. The step's
own output (its stdout and stderr, joined in the container) is on stdout: it is handed
on line by line as it comes, as a local step's is. Stderr is Xene's channel from the
wrapper around the step (`xene.executors.container_exec`): the step's pid first, then,
at the end, its exit code and its `$XENE_OUTPUT` file.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from xene.executors import docker_engine
from xene.executors.lines import split_lines

if TYPE_CHECKING:
    import docker
    from xene.executors.spawn import Pace

STDERR = 2
"""The frames of the exec's stderr: the wrapper's channel."""
IN_FLIGHT = 16
"""Batches of lines read but not yet handed on, at most: a step printing faster than
the loop takes its lines waits for them, so memory holds little whatever it prints."""


class ExecStream:
    """The output of one started exec: lines to `on_line`, the wrapper's first line to
    `first`, and `done` once the stream has ended (all lines handed on before)."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_line: Callable[[str], None],
        pace: Pace | None,
    ) -> None:
        self.loop = loop
        self.on_line = on_line
        self.pace = pace
        self.first: asyncio.Future[str] = loop.create_future()
        self.done: asyncio.Future[None] = loop.create_future()
        self._control: list[bytes] = []
        self._first_told = False
        self._budget = threading.BoundedSemaphore(IN_FLIGHT)
        self._stream: Any = None
        self._abandoned = False
        self._waiting: asyncio.Future[None] | None = None

    def start(self, api: docker.APIClient, exec_id: str) -> None:
        docker_engine.streams().submit(self._pump, api, exec_id)

    def abandon(self) -> None:
        """Stop reading (a step whose processes keep its output open after a kill):
        lines still on their way are dropped."""
        self._abandoned = True
        if self._stream is not None:
            _close(self._stream)
        _settle(self.done, None)

    def _pump(self, api: docker.APIClient, exec_id: str) -> None:
        from docker.utils.socket import frames_iter

        error: BaseException | None = None
        try:
            # The connection itself, not the SDK's stream of it: that one ends quietly
            # on any error of the connection (the rest of the output lost, unsaid).
            # No timeout on it: a step may be silent for long.
            self._stream = docker_engine.probed(api.exec_start, exec_id, socket=True)
            _inner(self._stream).settimeout(None)  # type: ignore[union-attr]
            if not self._abandoned:
                self._read(frames_iter(self._stream, tty=False))  # type: ignore[no-untyped-call]
        except Exception as exc:
            if not self._abandoned:
                # The connection broke under the stream: the engine went away.
                lost = isinstance(exc, OSError) or docker_engine.is_connection_error(exc)
                error = docker_engine.lost() if lost else exc
        finally:
            if self._stream is not None:
                _close(self._stream)
        self.loop.call_soon_threadsafe(self._finish, error)

    def _read(self, frames: Iterator[tuple[int, bytes]]) -> None:
        pending = b""
        for kind, data in frames:
            if kind == STDERR:
                self._told(data)
                continue
            lines, pending = split_lines(pending, data)
            if lines:
                self._send(lines)
        if pending:
            self._send([pending])

    @property
    def control(self) -> bytes:
        """All the wrapper said on its channel (complete once `done`)."""
        return b"".join(self._control)

    def _told(self, data: bytes) -> None:
        self._control.append(data)
        if not self._first_told and b"\n" in data:
            self._first_told = True
            line = self.control.split(b"\n", 1)[0].decode("utf-8", errors="replace")
            self.loop.call_soon_threadsafe(_settle, self.first, line)

    def _send(self, lines: list[bytes]) -> None:
        self._budget.acquire()
        self.loop.call_soon_threadsafe(self._deliver, lines)

    def _deliver(self, lines: list[bytes]) -> None:
        try:
            if not self._abandoned:
                for line in lines:
                    self.on_line(line.rstrip(b"\r").decode("utf-8", errors="replace"))
        finally:
            if self.pace is not None and self.pace.full and not self._abandoned:
                # Let the run's journal catch up before the next batch.
                self._waiting = asyncio.ensure_future(self._release_later(self.pace))
            else:
                self._budget.release()

    async def _release_later(self, pace: Pace) -> None:
        try:
            await pace.wait_room()
        finally:
            self._budget.release()

    def _finish(self, error: BaseException | None) -> None:
        _settle(self.first, "")  # the wrapper said nothing: it never ran, or was killed
        if error is not None and not self.done.done():
            self.done.set_exception(error)
        _settle(self.done, None)


def _settle(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _inner(connection: Any) -> socket.socket | None:
    """The socket under the SDK's hijacked connection (a `SocketIO`, or the socket)."""
    return getattr(connection, "_sock", connection)  # type: ignore[no-any-return]


def _close(connection: Any) -> None:
    """Shut the exec's connection (a reader blocked on it returns), then close all
    that holds it: the SDK's response, its file, the socket."""
    inner = _inner(connection)  # None once closed
    if inner is not None:
        with contextlib.suppress(OSError):
            inner.shutdown(socket.SHUT_RDWR)
    for closing in (getattr(connection, "_response", None), connection, inner):
        with contextlib.suppress(Exception):
            if closing is not None:
                closing.close()
