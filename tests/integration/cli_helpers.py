"""Running the `xene` command from tests: in this process, as a child process, or on a
pseudo-terminal; and waiting for what a child process does, with a bounded deadline."""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import select
import struct
import subprocess
import sys
import termios
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

from xene.cli.main import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
FIXTURES = ROOT / "tests" / "fixtures"
XENE = [sys.executable, "-m", "xene.cli.main"]
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


@dataclass(frozen=True, slots=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


def run_main(capsys: pytest.CaptureFixture[str], *args: str | Path) -> Result:
    """`xene ARGS` in this process: its exit code and what it printed."""
    capsys.readouterr()
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return Result(code, captured.out, captured.err)


def run_process(
    *args: str | Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = 30,
) -> Result:
    """`xene ARGS` as a child process, with no terminal on stdin."""
    completed = subprocess.run(
        [*XENE, *(str(a) for a in args)],
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    return Result(completed.returncode, completed.stdout, completed.stderr)


@contextlib.contextmanager
def forgetting_imported_workflows(*roots: Path) -> Iterator[None]:
    """Drop the Python workflow files imported meanwhile from `sys.modules` afterwards
    (not the libraries they pulled in), so the next test imports them afresh."""
    before = set(sys.modules)
    try:
        yield
    finally:
        for name in set(sys.modules) - before:
            file = getattr(sys.modules[name], "__file__", None)
            if file and any(Path(file).resolve().is_relative_to(r.resolve()) for r in roots):
                del sys.modules[name]


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def wait_until(condition: Callable[[], bool], timeout: float = 10, what: str = "") -> None:
    """Poll `condition` until it holds; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up after {timeout:g} s waiting for {what or condition}")
        time.sleep(0.02)


def process_alive(pid: int) -> bool:
    """Whether `pid` is a live process (a zombie, dead but not yet reaped, is not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    stat = Path(f"/proc/{pid}/stat")
    with contextlib.suppress(OSError):
        return stat.read_text().rsplit(")", 1)[1].split()[0] != "Z"
    return True


def group_members(pgid: int) -> list[int]:
    """The live processes of process group `pgid` (Linux: read from /proc)."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if fields[0] != "Z" and int(fields[2]) == pgid:
                members.append(int(stat.parent.name))
    return members


class Terminal:
    """`xene ARGS` with a pseudo-terminal as stdin, stdout and stderr."""

    def __init__(self, *args: str | Path, cwd: Path | None = None) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 160, 0, 0))
        self.master = master
        self.output = b""
        self.process = subprocess.Popen(
            [*XENE, *(str(a) for a in args)],
            cwd=cwd,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            start_new_session=True,
        )
        os.close(slave)

    def expect(self, text: str, timeout: float = 10) -> None:
        """Read the terminal until `text` shows (escape codes removed) or fail."""
        deadline = time.monotonic() + timeout
        while text not in self.text:
            left = deadline - time.monotonic()
            if left <= 0 or not self._read(left):
                pytest.fail(f"{text!r} never showed on the terminal; it showed:\n{self.text}")

    def send(self, text: str) -> None:
        os.write(self.master, text.encode())

    def finish(self, timeout: float = 10) -> int:
        """Read everything up to the end of the process; its exit code."""
        deadline = time.monotonic() + timeout
        while self._read(max(deadline - time.monotonic(), 0)):
            pass
        code = self.process.wait(max(deadline - time.monotonic(), 0.1))
        self.close()
        return code

    @property
    def text(self) -> str:
        """What the terminal showed so far, without escape codes and carriage returns."""
        return ANSI.sub("", self.output.decode(errors="replace")).replace("\r", "")

    def _read(self, timeout: float) -> bool:
        """Append what the process wrote; False once it closed the terminal or timed out."""
        ready, _, _ = select.select([self.master], [], [], min(timeout, 0.2))
        if not ready:
            return timeout > 0.2
        try:
            chunk = os.read(self.master, 4096)
        except OSError:  # EIO: every copy of the terminal's other end is closed
            return False
        self.output += chunk
        return bool(chunk)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.master >= 0:
            os.close(self.master)
            self.master = -1
