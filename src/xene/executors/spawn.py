"""A step's child process, spawned and watched from the event loop itself (Linux).

`posix_spawn` (vfork underneath) starts the child in microseconds without copying this
process; its output pipe and a pidfd are watched by the loop, so there is no thread and
no hand-off per step: a pipeline of many short steps runs as fast as a plain pool of
subprocess workers. Where pidfds are missing, `xene.executors.local` uses threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shlex
import signal
from collections.abc import Callable
from typing import Protocol

from xene.executors import watchdog

CHUNK = 64 * 1024
DEFAULT_SIGNALS = watchdog.DEFAULT_SIGNALS
"""Reset in the child, as `subprocess` does: `yes | head` needs SIGPIPE's default."""
MAX_LINE = 64 * 1024


class Pace(Protocol):
    """Back-pressure from whoever keeps the output (the run's journal)."""

    @property
    def full(self) -> bool: ...

    async def wait_room(self) -> None: ...


def available() -> bool:
    return hasattr(os, "pidfd_open") and hasattr(os, "posix_spawn")


class SpawnedChild:
    """`/bin/sh -c cmd` in a new session; lines to `on_line`, then `done` gets the code."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        on_line: Callable[[str], None],
        pace: Pace | None = None,
    ) -> None:
        self.loop = loop
        self.on_line = on_line
        self.pace = pace
        self._resuming: asyncio.Future[None] | None = None
        self.done: asyncio.Future[int] = loop.create_future()
        self.pid = 0
        self._pending = b""
        self._out = -1
        self._pidfd = -1
        self._code: int | None = None

    def start(self, cmd: str, cwd: str | None, env: dict[str, str]) -> None:
        """Spawn the child; OSError if it cannot be (a missing directory, ...)."""
        if cwd is not None:  # posix_spawn cannot change directory before exec here
            if not os.path.isdir(cwd):
                raise FileNotFoundError(2, "No such file or directory", cwd)
            cmd = f"cd -- {shlex.quote(cwd)} || exit 126\n{cmd}"
        read_end, write_end = os.pipe()
        actions = [
            (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
            (os.POSIX_SPAWN_DUP2, write_end, 1),
            (os.POSIX_SPAWN_DUP2, write_end, 2),
            (os.POSIX_SPAWN_CLOSE, read_end),
            (os.POSIX_SPAWN_CLOSE, write_end),
        ]
        try:
            self.pid = os.posix_spawn(
                "/bin/sh",
                ["/bin/sh", "-c", cmd],
                env,
                file_actions=actions,
                setsid=True,
                setsigmask=(),  # nothing blocked,
                setsigdef=DEFAULT_SIGNALS,  # and what Python ignores back to default
            )
        except OSError:
            os.close(read_end)
            raise
        finally:
            os.close(write_end)
        os.set_blocking(read_end, False)
        self._out = read_end
        self._pidfd = os.pidfd_open(self.pid)
        self.loop.add_reader(read_end, self._read)
        self.loop.add_reader(self._pidfd, self._exited)

    def _read(self) -> None:
        try:
            chunk = os.read(self._out, CHUNK)
        except BlockingIOError:
            return
        if not chunk:
            self._close_output()
            return
        *lines, self._pending = (self._pending + chunk).split(b"\n")
        while len(self._pending) > MAX_LINE:
            lines.append(self._pending[:MAX_LINE])
            self._pending = self._pending[MAX_LINE:]
        for line in lines:
            self.on_line(line.rstrip(b"\r").decode("utf-8", errors="replace"))
        if self.pace is not None and self.pace.full:  # let the store catch up first
            self.loop.remove_reader(self._out)
            self._resuming = asyncio.ensure_future(self._resume(self.pace))

    async def _resume(self, pace: Pace) -> None:
        await pace.wait_room()
        if self._out >= 0:
            self.loop.add_reader(self._out, self._read)

    def _close_output(self) -> None:
        if self._out < 0:
            return
        self.loop.remove_reader(self._out)
        os.close(self._out)
        self._out = -1
        if self._pending:
            self.on_line(self._pending.rstrip(b"\r").decode("utf-8", errors="replace"))
            self._pending = b""
        self._settle()

    def _exited(self) -> None:
        self.loop.remove_reader(self._pidfd)
        os.close(self._pidfd)
        _, status = os.waitpid(self.pid, 0)
        self._code = os.waitstatus_to_exitcode(status)
        self._settle()

    def _settle(self) -> None:
        """The code, once the child has exited and all its output has been read."""
        if self._code is not None and self._out < 0 and not self.done.done():
            self.done.set_result(self._code)

    async def end(self, grace_s: float) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after `grace_s`."""
        signal_group(self.pid, signal.SIGTERM)
        finished, _ = await asyncio.wait([self.done], timeout=grace_s)
        if not finished:
            signal_group(self.pid, signal.SIGKILL)
            # Grandchildren may keep the pipe open after the kill: stop waiting for it.
            await asyncio.wait([self.done], timeout=1.0)
            self._close_output()


def signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)
