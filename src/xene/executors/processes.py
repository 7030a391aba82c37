"""Process groups of steps, named so that another process can find and end them later.

A step's shell runs in a session of its own, so its process group id is its pid. The
store records the group as `boot:pgid:start` — the kernel's boot id and the leader's
start time tell a reused pid (or a reboot) apart — in the same commit that says the
step runs. After a crash, recovery ends every group the dead owner left running before
it runs the node again: on one host, never two copies of one step at once.

Steps also carry `XENE_RUN_ID` and `XENE_TASK` in their environment; a scan of /proc for
them finds a group started in the moment between its spawn and the commit naming it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
import signal
import time
from collections.abc import Iterable, Iterator

from xene.frozen import frozen

PROC = "/proc"


@frozen
class ProcessRef:
    """A process group as the store records it."""

    boot: str
    pgid: int
    start: int
    """The leader's start time, in clock ticks since boot (field 22 of /proc/PID/stat)."""

    def __str__(self) -> str:
        return f"{self.boot}:{self.pgid}:{self.start}"

    @classmethod
    def parse(cls, text: str | None) -> ProcessRef | None:
        if not text:
            return None
        boot, _, rest = text.rpartition(":")
        boot, _, pgid = boot.rpartition(":")
        if not (boot and pgid.isdigit() and rest.isdigit()):
            return None
        return cls(boot, int(pgid), int(rest))


@functools.cache
def boot_id() -> str:
    """This boot of this machine ('' where the platform does not say)."""
    try:
        with open("/proc/sys/kernel/random/boot_id", encoding="ascii") as handle:
            return handle.read().strip()
    except OSError:
        return ""


def _stat(pid: int) -> tuple[int, int] | None:
    """(process group, start time) of a live process (not a zombie), or None."""
    try:
        with open(f"{PROC}/{pid}/stat", "rb") as handle:
            text = handle.read()
    except OSError:
        return None
    # The command name (field 2) may hold spaces and parentheses: split after the last ')'.
    fields = text[text.rfind(b")") + 2 :].split()
    try:
        if fields[0] in (b"Z", b"X"):  # ended, waiting to be reaped
            return None
        return int(fields[2]), int(fields[19])
    except (IndexError, ValueError):
        return None


def ref_of(pid: int) -> ProcessRef | None:
    """The group a freshly spawned session leader `pid` heads."""
    stat = _stat(pid)
    if stat is None:
        return None
    return ProcessRef(boot_id(), pid, stat[1])


def _pids() -> Iterator[int]:
    with contextlib.suppress(OSError):
        for name in os.listdir(PROC):
            if name.isdigit():
                yield int(name)


def _environ_has(pid: int, marks: tuple[bytes, ...]) -> bool:
    try:
        with open(f"{PROC}/{pid}/environ", "rb") as handle:
            entries = handle.read().split(b"\0")
    except OSError:
        return False
    return all(mark in entries for mark in marks)


def live_groups(refs: Iterable[ProcessRef], run_id: str, node_keys: Iterable[str]) -> set[int]:
    """The process groups, on this host, still running steps of these nodes of a run.

    A recorded group counts when its leader is the process recorded (same start time),
    or when the leader is gone but members remain (a group id is not reused while it
    has members). Processes whose environment names the run and node count too.
    """
    boot = boot_id()
    own = os.getpgrp()
    groups = {ref.pgid for ref in refs if ref.boot == boot and _still_ours(ref)}
    keys = list(node_keys)
    if keys and os.path.isdir(PROC):
        run_mark = f"XENE_RUN_ID={run_id}".encode()
        wanted = {f"XENE_TASK={key}".encode() for key in keys}
        for pid in _pids():
            stat = _stat(pid)
            if stat is None or stat[0] in groups:
                continue
            if any(_environ_has(pid, (run_mark, mark)) for mark in wanted):
                groups.add(stat[0])
    groups.discard(own)
    groups.discard(0)
    return groups


def _still_ours(ref: ProcessRef) -> bool:
    leader = _stat(ref.pgid)
    if leader is not None:
        return leader[0] == ref.pgid and leader[1] == ref.start
    return any((_stat(pid) or (0, 0))[0] == ref.pgid for pid in _pids())


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # Zombies still count for kill(); whoever reaps them may be slow (or absent).
    return any((_stat(pid) or (0, 0))[0] == pgid for pid in _pids())


async def end_groups(groups: set[int], grace_s: float) -> None:
    """SIGTERM each group, then SIGKILL what is left after `grace_s`; return when gone."""
    for pgid in groups:
        _signal(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace_s
    left = set(groups)
    while left:
        left = {pgid for pgid in left if _group_alive(pgid)}
        if not left:
            return
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(0.02)  # these are not our children: no pidfd to wait on
    for pgid in left:
        _signal(pgid, signal.SIGKILL)
    for _ in range(500):  # SIGKILL cannot be caught: this takes milliseconds
        if not any(_group_alive(pgid) for pgid in left):
            return
        await asyncio.sleep(0.01)


def _signal(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)
