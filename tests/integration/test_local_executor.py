"""Shell commands through both ways of spawning: from the loop (Linux) and by threads."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from xene.executors import spawn
from xene.executors.base import Control
from xene.executors.local import run_command


@pytest.fixture(params=["loop", "threads"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "threads":
        monkeypatch.setattr(spawn, "available", lambda: False)
    return str(request.param)


async def run(cmd: str, **options: object) -> tuple[int, list[str], dict[str, str], bool]:
    lines: list[str] = []
    result = await run_command(
        cmd,
        cwd=options.get("cwd"),  # type: ignore[arg-type]
        env={"GREETING": "hi"},
        on_line=lines.append,
        timeout_s=options.get("timeout_s"),  # type: ignore[arg-type]
        control=Control(grace_s=1.0),
    )
    return result.exit_code, lines, result.outputs, result.timed_out


async def test_output_lines_outputs_and_exit_code(way: str) -> None:
    code, lines, outputs, _ = await run(
        'echo $GREETING; printf last; echo k=v >> "$XENE_OUTPUT"; exit 4'
    )
    assert (code, lines, outputs) == (4, ["hi", "last"], {"k": "v"})


async def test_the_working_directory(way: str, tmp_path: Path) -> None:
    _, lines, _, _ = await run("pwd", cwd=str(tmp_path))
    assert lines == [str(tmp_path)]


async def test_a_timeout_ends_the_whole_process_group(way: str, tmp_path: Path) -> None:
    pidfile = tmp_path / "pid"
    code, _, _, timed_out = await run(f"sleep 30 & echo $! > {pidfile}; wait", timeout_s=0.5)
    assert (code, timed_out) == (124, True)
    assert not _sleeping(int(pidfile.read_text()))


def _sleeping(pid: int) -> bool:
    """Is `pid` a live (not zombie) `sleep`? A dead one's pid may have been reused."""
    try:
        with open(f"/proc/{pid}/stat") as handle:
            state = handle.read().rsplit(")", 1)[1].split()[0]
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            command = handle.read().split(b"\0")[0]
    except (OSError, IndexError):
        return False
    return state != "Z" and os.path.basename(command) == b"sleep"


async def test_sigpipe_ends_a_writer_whose_reader_left(way: str) -> None:
    code, lines, _, _ = await run("yes | head -c 5 >/dev/null; echo ${PIPESTATUS:-done}")
    assert code == 0
    assert lines == ["done"]
