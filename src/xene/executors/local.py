"""Shell commands as local subprocesses, in their own process group.

Output is read in chunks and handed on line by line as it arrives, so a step printing
gigabytes never holds them in memory. A timeout or a cancellation ends the whole process
group: SIGTERM first, SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import itertools
import os
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from typing import IO

from xene.errors import NodeFailed
from xene.executors import processes, spawn, watchdog
from xene.executors.base import Command, CommandResult, Control
from xene.executors.lines import split_lines

CHUNK = 64 * 1024
IN_FLIGHT = 16
"""Chunks of output read but not yet handed on, at most (16 × 64 KiB)."""
WATCH_AFTER_S = 0.1
"""A child still running this long after its spawn is named to the watchdog (it dies with
Xene) and its group to `on_group` (recorded for recovery). Short steps pay for neither:
recovery finds an orphan either way, by the run and node its environment names."""
TIMED_OUT = 124
"""Exit code reported for a command ended by its timeout (as timeout(1) does)."""


class LocalExecutor:
    """The `local` executor: each command a subprocess of this machine (`run_command`)."""

    async def run(self, command: Command) -> CommandResult:
        return await run_command(
            command.cmd,
            cwd=working_dir(command.cwd),
            env=command.env,
            on_line=command.on_line,
            timeout_s=command.timeout_s,
            control=command.control,
        )


def working_dir(path: str | None) -> str | None:
    """A step's working directory on this machine (`~` expanded), made if missing."""
    if path is None:
        return None
    path = os.path.expanduser(path)
    try:
        os.makedirs(path, exist_ok=True)
    except OSError as exc:
        raise NodeFailed(f"cannot create workingDir {path!r}: {exc.strerror}") from exc
    return path


async def run_command(
    cmd: str,
    *,
    cwd: str | None,
    env: Mapping[str, str],
    on_line: Callable[[str], None],
    timeout_s: float | None,
    control: Control | None = None,
) -> CommandResult:
    """Run `cmd` under `/bin/sh -c` with `env` added to this process's environment.

    On Linux the child is spawned and watched from the loop (`xene.executors.spawn`);
    elsewhere a thread of its own spawns and reads it (forking from the loop would
    serialise every spawn behind it). Either way lines come in order, all of them
    before the exit code.
    """
    control = control or Control()
    output_path = _output_path()
    full_env = _environment(env, output_path)
    loop = asyncio.get_running_loop()
    child: _Child | spawn.SpawnedChild
    if spawn.available():
        child = spawn.SpawnedChild(loop, on_line, control.pace)
        try:
            await child.start(cmd, cwd, full_env)
        except asyncio.CancelledError:
            if child.pid:  # it runs: end it as any cancelled child
                await asyncio.shield(_ended(child, control.grace_s, output_path))
            raise
    else:
        child = _Child(loop, on_line)
        _threads().submit(child.run, cmd, cwd, full_env)
    return await _wait(child, control, timeout_s, output_path)


async def _wait(
    child: _Child | spawn.SpawnedChild, control: Control, timeout_s: float | None, output_path: str
) -> CommandResult:
    watch = _Watch(asyncio.get_running_loop(), child, control)
    try:
        try:
            async with asyncio.timeout(timeout_s):
                code = await asyncio.shield(child.done)
        except TimeoutError:
            await child.end(control.grace_s)
            return CommandResult(TIMED_OUT, _take_outputs(output_path), timed_out=True)
        except asyncio.CancelledError:
            await asyncio.shield(child.end(control.grace_s))
            with contextlib.suppress(OSError):
                os.unlink(output_path)
            raise
        return CommandResult(code, _take_outputs(output_path))
    finally:
        watch.end()


def _take_outputs(path: str) -> dict[str, str]:
    """The `key=value` lines of the file named by `$XENE_OUTPUT` (blank lines and lines
    without `=` ignored), then the file removed: a step that wrote none costs one open."""
    try:
        handle = open(path, encoding="utf-8", errors="replace")  # noqa: SIM115
    except OSError:
        return {}
    with handle:
        outputs = _parse_outputs(handle)
    with contextlib.suppress(OSError):
        os.unlink(path)
    return outputs


async def _ended(child: spawn.SpawnedChild, grace_s: float, output_path: str) -> None:
    try:
        await child.end(grace_s)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(output_path)


def _environment(env: Mapping[str, str], output_path: str) -> dict[bytes, bytes]:
    """This process's environment with `env` and `$XENE_OUTPUT` added. Copied as bytes,
    from the dict behind `os.environ` where there is one: through the mapping, each of
    its entries is decoded then encoded again (a sixth of a short step's cost)."""
    data = getattr(os.environ, "_data", None)
    full = dict(data) if isinstance(data, dict) else dict(os.environb)
    full.update((os.fsencode(key), os.fsencode(value)) for key, value in env.items())
    full[b"XENE_OUTPUT"] = os.fsencode(output_path)
    return full


class _Watch:
    """Names a child that runs past `WATCH_AFTER_S` to the watchdog and to `on_group`."""

    def __init__(
        self, loop: asyncio.AbstractEventLoop, child: _Child | spawn.SpawnedChild, control: Control
    ) -> None:
        self.loop, self.child, self.control = loop, child, control
        self.pgid = 0
        self.timer = loop.call_later(WATCH_AFTER_S, self.fire)

    def fire(self) -> None:
        if self.child.done.done():
            return
        pid = self.child.pid
        if not pid:  # its thread has not spawned it yet
            self.timer = self.loop.call_later(WATCH_AFTER_S, self.fire)
            return
        self.pgid = pid  # the leader of its own session
        watchdog.watch(pid, self.control.grace_s)
        ref = processes.ref_of(pid)
        if ref is not None and self.control.on_group is not None:
            self.control.on_group(str(ref))

    def end(self) -> None:
        self.timer.cancel()
        if self.pgid:
            watchdog.unwatch(self.pgid)


_POOL: list[ThreadPoolExecutor] = []
_OUTPUTS: list[str] = []


def _threads() -> ThreadPoolExecutor:
    """Threads kept for the steps' children: starting one per step costs more than a spawn."""
    if not _POOL:
        _POOL.append(ThreadPoolExecutor(max_workers=512, thread_name_prefix="xene-step"))
    return _POOL[0]


def _output_path() -> str:
    """A fresh path for `$XENE_OUTPUT`, in one private directory per process.

    The file is not created: a step that writes no output costs no file at all.
    """
    if not _OUTPUTS:
        directory = tempfile.mkdtemp(prefix="xene-outputs-")
        atexit.register(shutil.rmtree, directory, True)
        _OUTPUTS.append(directory)
    return os.path.join(_OUTPUTS[0], f"{next(_COUNTER)}.out")


_COUNTER = itertools.count()


class _Child:
    """One subprocess, owned by a thread; ended from the loop by signalling its group."""

    def __init__(self, loop: asyncio.AbstractEventLoop, on_line: Callable[[str], None]) -> None:
        self.loop = loop
        self.on_line = on_line
        self.done: asyncio.Future[int] = loop.create_future()
        self.lock = threading.Lock()
        self.pid: int | None = None
        self.ending = False
        self.budget = threading.BoundedSemaphore(IN_FLIGHT)

    def run(self, cmd: str, cwd: str | None, env: spawn.Environment) -> None:
        try:
            proc = subprocess.Popen(
                ["/bin/sh", "-c", cmd],
                cwd=cwd,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            self.loop.call_soon_threadsafe(_settle, self.done, None, exc)
            return
        with self.lock:
            self.pid = proc.pid
            if self.ending:
                spawn.signal_group(proc.pid, signal.SIGKILL)
        with proc:
            assert proc.stdout is not None
            self._pump(proc.stdout)
            code = proc.wait()
        self.loop.call_soon_threadsafe(_settle, self.done, code, None)

    def _pump(self, stream: IO[bytes]) -> None:
        pending = b""
        while chunk := stream.read1(CHUNK):  # type: ignore[attr-defined]
            lines, pending = split_lines(pending, chunk)
            if lines:
                self._send(lines)
        if pending:
            self._send([pending])

    def _send(self, lines: list[bytes]) -> None:
        # Back-pressure: a child printing faster than the loop can take its lines waits
        # here, so memory holds at most IN_FLIGHT chunks, whatever the child prints.
        self.budget.acquire()
        self.loop.call_soon_threadsafe(self._deliver, lines)

    def _deliver(self, lines: list[bytes]) -> None:
        try:
            for line in lines:
                self.on_line(line.rstrip(b"\r").decode("utf-8", errors="replace"))
        finally:
            self.budget.release()

    async def end(self, grace_s: float) -> None:
        """SIGTERM the process group, then SIGKILL whatever is left after `grace_s`."""
        with self.lock:
            self.ending = True
            pid = self.pid
        if pid is None:
            await asyncio.wait([self.done])
            return
        spawn.signal_group(pid, signal.SIGTERM)
        finished, _ = await asyncio.wait([self.done], timeout=grace_s)
        if not finished:
            spawn.signal_group(pid, signal.SIGKILL)
            await asyncio.wait([self.done])


def _settle(future: asyncio.Future[int], code: int | None, error: BaseException | None) -> None:
    if future.done():
        return
    if error is not None:
        future.set_exception(error)
    else:
        assert code is not None
        future.set_result(code)


def _parse_outputs(lines: Iterable[str]) -> dict[str, str]:
    outputs: dict[str, str] = {}
    for line in lines:
        key, sep, value = line.rstrip("\n").partition("=")
        if sep and key.strip():
            outputs[key.strip()] = value
    return outputs
