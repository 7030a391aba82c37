"""A step's child process, watched from the event loop itself (Linux).

Its output pipe and a pidfd are watched by the loop: no thread per step, no hand-off per
line. The spawn itself is made on the loop (`posix_spawn`) while that is quick, else by
one of a few spawning threads (`subprocess.Popen`, which lets go of the GIL while the
vfork'ed child reaches its exec): `posix_spawn` holds the GIL until then, so on a busy
machine every spawn on the loop stopped it for as long as the new child waited for a
CPU, most of a run of short steps; on a quiet one it costs less than a thread's hop
(`SpawnWay` chooses, from how long spawns on the loop take). Where
this process ignores a signal the child must get at its default (`DEFAULT_SIGNALS`:
Popen would pass the ignoring on), the child is spawned on the loop with `posix_spawn`,
which resets them. Where pidfds are missing, `xene.executors.local` uses threads.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import shlex
import signal
import subprocess
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from xene.executors import watchdog
from xene.executors.lines import split_lines

CHUNK = 64 * 1024
DEFAULT_SIGNALS = watchdog.DEFAULT_SIGNALS
"""Reset in the child, as `subprocess` does: `yes | head` needs SIGPIPE's default."""
SPAWNERS = 8
"""Threads that spawn children: a spawn waits for its child's exec, so that many
children can be on their way at once (the floor, a pool of workers, has one each)."""


Environment = Mapping[bytes, bytes]
"""A child's whole environment, as the kernel takes it."""


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
        self._proc: subprocess.Popen[bytes] | None = None

    async def start(self, cmd: str, cwd: str | None, env: Environment) -> None:
        """Spawn the child; OSError if it cannot be (a missing directory, ...).

        Cancelled while a spawning thread spawns it, the child is still watched once it
        runs (then CancelledError): whoever cancelled ends it with `end`.
        """
        if _ignored_defaults():
            self._spawn_here(cmd, cwd, env)
            return
        if WAY.on_loop():
            started = time.perf_counter()
            self._spawn_here(cmd, cwd, env)
            WAY.took(time.perf_counter() - started)
            return
        spawning = self.loop.run_in_executor(_spawners(), _popen, cmd, cwd, env)
        cancelled = False
        while not spawning.done():
            try:
                await asyncio.shield(spawning)
            except asyncio.CancelledError:
                cancelled = True
            except Exception:  # raised below, once the pipe is closed
                break
        error = spawning.exception()
        if error is not None:
            raise asyncio.CancelledError() if cancelled else error
        self._proc, read_end, pidfd = spawning.result()
        self._watch(self._proc.pid, read_end, pidfd)
        if cancelled:
            raise asyncio.CancelledError

    def _spawn_here(self, cmd: str, cwd: str | None, env: Environment) -> None:
        if cwd is not None:  # posix_spawn cannot change directory before exec here
            if not os.path.isdir(cwd):
                raise FileNotFoundError(2, "No such file or directory", cwd)
            if not os.access(cwd, os.X_OK):  # as Popen's chdir would fail
                raise PermissionError(13, "Permission denied", cwd)
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
        self._watch(self.pid, read_end, os.pidfd_open(self.pid))

    def _watch(self, pid: int, read_end: int, pidfd: int) -> None:
        self.pid = pid
        self._out = read_end
        self._pidfd = pidfd
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
        lines, self._pending = split_lines(self._pending, chunk)
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
        if self._proc is not None:  # reaped through it: it then knows it has ended
            self._code = self._proc.wait()
        else:
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


class SpawnWay:
    """Where children are spawned: on the loop (`posix_spawn`, the cheaper way while
    spawns are quick) or by the spawning threads (while spawns on the loop are slow, on
    a busy machine, where each one would stop the loop). Every `PROBE`th spawn is made
    on the loop again, to see whether it has become quick."""

    SLOW_S = 0.0005
    """A spawn on the loop slower than this, on average, stops the loop too long."""
    PROBE = 32

    def __init__(self) -> None:
        self.average_s = 0.0
        self.spawns = 0

    def on_loop(self) -> bool:
        self.spawns += 1
        return self.average_s < self.SLOW_S or self.spawns % self.PROBE == 0

    def took(self, seconds: float) -> None:
        """How long a spawn on the loop took: the average follows the last few, and a
        quick probe brings the loop back at once (if it was luck, the next spawns tell)."""
        if seconds < self.SLOW_S <= self.average_s:
            self.average_s = seconds
        else:
            self.average_s += (seconds - self.average_s) * 0.25


WAY = SpawnWay()
_SPAWNERS: list[ThreadPoolExecutor] = []
_NULL: list[int] = []


def _spawners() -> ThreadPoolExecutor:
    if not _SPAWNERS:
        _SPAWNERS.append(ThreadPoolExecutor(SPAWNERS, thread_name_prefix="xene-spawn"))
    return _SPAWNERS[0]


@functools.cache
def _ignored_defaults() -> bool:
    """Does this process ignore a signal its children must get at its default? (As it
    was started: Xene ignores none itself. Asked once: `getsignal` costs as much as a
    spawn where a handler's repr is long, as asyncio.run's is.)"""
    return any(
        signal.getsignal(sig) == signal.SIG_IGN for sig in DEFAULT_SIGNALS if sig not in _RESTORED
    )


_RESTORED = (signal.SIGPIPE, signal.SIGXFSZ)
"""What Popen's `restore_signals` sets back to default even where this process ignores it."""


def _popen(cmd: str, cwd: str | None, env: Environment) -> tuple[subprocess.Popen[bytes], int, int]:
    """On a spawning thread: `/bin/sh -c cmd` in a new session, and the read end of its
    output pipe and its pidfd (every call that lets go of the GIL made here, not on the
    loop). Popen resets SIGPIPE and SIGXFSZ and every handled signal; the thread blocks
    no signal."""
    if not _NULL:  # one /dev/null for every child's stdin, not an open and close each
        _NULL.append(os.open(os.devnull, os.O_RDONLY))
    read_end, write_end = os.pipe()
    try:
        proc = subprocess.Popen(
            ["/bin/sh", "-c", cmd],
            cwd=cwd,
            env=env,
            stdin=_NULL[0],
            stdout=write_end,
            stderr=write_end,
            start_new_session=True,
        )
    except BaseException:
        os.close(read_end)
        raise
    finally:
        os.close(write_end)
    os.set_blocking(read_end, False)
    return proc, read_end, os.pidfd_open(proc.pid)
