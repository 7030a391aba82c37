"""Shell commands through every way of spawning: by spawning threads, watched from the
loop (Linux, on a busy machine); by posix_spawn on the loop (Linux, while that is quick,
and where this process ignores a signal steps must get at its default); and by a thread
per step (elsewhere)."""

from __future__ import annotations

import asyncio
import os
import signal
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from xene.executors import processes, spawn
from xene.executors.base import Control
from xene.executors.local import run_command


@pytest.fixture(params=["spawners", "loop", "threads"])
def way(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "threads":
        monkeypatch.setattr(spawn, "available", lambda: False)
    if request.param == "spawners":  # as on a busy machine, where spawns on the loop are slow
        monkeypatch.setattr(spawn, "WAY", Slow())
    before = signal.getsignal(signal.SIGQUIT)
    if request.param == "loop":  # as under `xene run ... &` from a script
        signal.signal(signal.SIGQUIT, signal.SIG_IGN)
    spawn._ignored_defaults.cache_clear()  # asked once a process, as it was started
    yield str(request.param)
    signal.signal(signal.SIGQUIT, before)
    spawn._ignored_defaults.cache_clear()


class Slow(spawn.SpawnWay):
    def on_loop(self) -> bool:
        return False


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


async def test_steps_start_with_no_signal_blocked_or_ignored(way: str) -> None:
    _, lines, _, _ = await run("exec grep -E '^Sig(Blk|Ign)' /proc/self/status")
    masks = {line.split(":")[0]: int(line.split()[1], 16) for line in lines}
    assert masks["SigBlk"] == 0
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT, signal.SIGPIPE):
        assert not masks["SigIgn"] & (1 << (sig - 1)), sig.name


async def test_a_command_cancelled_as_it_spawns_leaves_nothing_running(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(spawn, "WAY", Slow())
    run_id = uuid.uuid4().hex
    env = {"XENE_RUN_ID": run_id, "XENE_TASK": "t"}
    command = run_command(
        "exec sleep 30", cwd=None, env=env, on_line=print, timeout_s=None, control=Control(1.0)
    )
    running = asyncio.ensure_future(command)
    await asyncio.sleep(0)  # on its way: a spawning thread spawns it
    running.cancel()
    with pytest.raises(asyncio.CancelledError):
        await running
    assert processes.live_groups([], run_id, ["t"]) == set()
