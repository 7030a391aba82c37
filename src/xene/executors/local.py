"""Shell commands as local subprocesses, in their own process group.

Output is read in chunks and handed on line by line as it arrives, so a step printing
gigabytes never holds them in memory. A timeout or a cancellation ends the whole process
group: SIGTERM first, SIGKILL after a grace period.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

CHUNK = 64 * 1024
MAX_LINE = 64 * 1024
"""A longer line is handed on in pieces of this size."""
TIMED_OUT = 124
"""Exit code reported for a command ended by its timeout (as timeout(1) does)."""


@dataclass(frozen=True, slots=True)
class CommandResult:
    exit_code: int
    outputs: dict[str, str] = field(default_factory=dict)
    """`key=value` lines the command wrote to the file named by `$XENE_OUTPUT`."""
    timed_out: bool = False


async def run_command(
    cmd: str,
    *,
    cwd: str | None,
    env: Mapping[str, str],
    on_line: Callable[[str], None],
    timeout_s: float | None,
    grace_s: float = 5.0,
) -> CommandResult:
    """Run `cmd` under `/bin/sh -c` with `env` added to this process's environment."""
    fd, output_path = tempfile.mkstemp(prefix="xene-output-")
    os.close(fd)
    full_env = {**os.environ, **env, "XENE_OUTPUT": output_path}
    try:
        proc = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            cmd,
            cwd=cwd,
            env=full_env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
            start_new_session=True,
        )
        timed_out = False
        try:
            async with asyncio.timeout(timeout_s):
                await _pump(proc, on_line)
                code = await proc.wait()
        except TimeoutError:
            timed_out = True
            await _end_group(proc, grace_s)
            code = TIMED_OUT
        except asyncio.CancelledError:
            await asyncio.shield(_end_group(proc, grace_s))
            raise
        return CommandResult(code, read_outputs(output_path), timed_out)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(output_path)


async def _pump(proc: asyncio.subprocess.Process, on_line: Callable[[str], None]) -> None:
    assert proc.stdout is not None
    pending = b""
    while chunk := await proc.stdout.read(CHUNK):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        for line in lines:
            _emit(line, on_line)
        while len(pending) > MAX_LINE:
            _emit(pending[:MAX_LINE], on_line)
            pending = pending[MAX_LINE:]
    if pending:
        _emit(pending, on_line)


def _emit(line: bytes, on_line: Callable[[str], None]) -> None:
    on_line(line.rstrip(b"\r").decode("utf-8", errors="replace"))


async def _end_group(proc: asyncio.subprocess.Process, grace_s: float) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after `grace_s`."""
    _signal_group(proc.pid, signal.SIGTERM)
    try:
        async with asyncio.timeout(grace_s):
            await proc.wait()
    except TimeoutError:
        pass
    _signal_group(proc.pid, signal.SIGKILL)
    await proc.wait()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def read_outputs(path: str) -> dict[str, str]:
    """`key=value` lines; blank lines and lines without `=` are ignored."""
    outputs: dict[str, str] = {}
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            for line in handle:
                key, sep, value = line.rstrip("\n").partition("=")
                if sep and key.strip():
                    outputs[key.strip()] = value
    except OSError:
        pass
    return outputs
