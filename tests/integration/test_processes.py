"""Process groups of steps: named, found again by another process, ended.

Real processes throughout: a group is found by its recorded name or by the run and node
its environment names, a reused pid is told apart, and ending escalates to SIGKILL.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from xene.executors.processes import ProcessRef, end_groups, live_groups, ref_of


def members(pgid: int) -> list[int]:
    """Live (not zombie) processes of a group, read from /proc."""
    found = []
    for name in os.listdir("/proc"):
        try:
            with open(f"/proc/{name}/stat", "rb") as handle:
                fields = handle.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] not in (b"Z", b"X"):
            found.append(int(name))
    return found


@pytest.fixture
def spawn() -> Iterator[list[subprocess.Popen[bytes]]]:
    started: list[subprocess.Popen[bytes]] = []
    yield started
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, 9)
        proc.wait()


def group(spawn: list[subprocess.Popen[bytes]], cmd: str, **env: str) -> int:
    proc = subprocess.Popen(
        ["/bin/sh", "-c", cmd], start_new_session=True, env={**os.environ, **env}
    )
    spawn.append(proc)
    return proc.pid


def test_a_ref_round_trips_through_its_text() -> None:
    ref = ProcessRef("0b5e-boot", 4242, 98765)
    assert ProcessRef.parse(str(ref)) == ref
    assert ProcessRef.parse("garbage") is None
    assert ProcessRef.parse(None) is None


def test_a_recorded_group_is_found_while_it_runs(spawn: list[subprocess.Popen[bytes]]) -> None:
    pid = group(spawn, "sleep 30")
    ref = ref_of(pid)
    assert ref is not None
    assert live_groups([ref], "run-x", []) == {pid}


def test_a_pid_with_another_start_time_is_not_ours(spawn: list[subprocess.Popen[bytes]]) -> None:
    pid = group(spawn, "sleep 30")
    ref = ref_of(pid)
    assert ref is not None
    reused = ProcessRef(ref.boot, ref.pgid, ref.start + 1)
    assert live_groups([reused], "run-x", []) == set()


def test_a_group_recorded_on_another_boot_is_not_ours(
    spawn: list[subprocess.Popen[bytes]],
) -> None:
    pid = group(spawn, "sleep 30")
    ref = ref_of(pid)
    assert ref is not None
    assert live_groups([ProcessRef("another-boot", pid, ref.start)], "run-x", []) == set()


def test_a_group_is_found_by_the_run_and_node_its_environment_names(
    spawn: list[subprocess.Popen[bytes]],
) -> None:
    pid = group(spawn, "sleep 30", XENE_RUN_ID="01RUN", XENE_TASK="build")
    other = group(spawn, "sleep 30", XENE_RUN_ID="01RUN", XENE_TASK="test")
    found = live_groups([], "01RUN", ["build"])
    assert pid in found
    assert other not in found


async def test_ending_a_group_that_ignores_sigterm_kills_it(
    spawn: list[subprocess.Popen[bytes]], tmp_path: Path
) -> None:
    ready = tmp_path / "ready"
    pid = group(spawn, "trap '' TERM; touch $READY; while :; do sleep 0.05; done", READY=str(ready))
    deadline = time.monotonic() + 10
    while not ready.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    await end_groups({pid}, grace_s=0.2)
    assert members(pid) == []
    assert spawn[0].wait(timeout=5) == -9


async def test_ending_a_group_ends_its_members_too(spawn: list[subprocess.Popen[bytes]]) -> None:
    pid = group(spawn, "sleep 30 & sleep 30 & wait")
    deadline = time.monotonic() + 10
    while len(members(pid)) < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(members(pid)) == 3
    await end_groups({pid}, grace_s=5)
    assert members(pid) == []
