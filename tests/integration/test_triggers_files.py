"""Filesystem triggers on a real directory, watched with watchfiles.

Every wait is bounded: a test fails after TIMEOUT seconds rather than hang. Nothing sleeps
to assert: each test waits for the real filesystem event it expects.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from xene.ir import Trigger
from xene.triggers.base import TriggerEvent
from xene.triggers.files import FileTrigger

TIMEOUT = 10.0


class Watching:
    """A running FileTrigger and the events it has emitted so far."""

    def __init__(self) -> None:
        self.events: list[TriggerEvent] = []
        self._changed = asyncio.Condition()

    async def emit(self, event: TriggerEvent) -> None:
        async with self._changed:
            self.events.append(event)
            self._changed.notify_all()

    async def wait_for(self, found: Callable[[list[Any]], bool], timeout: float = TIMEOUT) -> None:
        """Wait until `found(inputs of the events so far)` holds."""
        async with self._changed:
            ready = self._changed.wait_for(lambda: found([e.input for e in self.events]))
            await asyncio.wait_for(ready, timeout)

    async def event(self, path: Path, kind: str) -> None:
        """Wait for `{"path": path, "event": kind}`."""
        wanted = {"path": str(path), "event": kind}
        await self.wait_for(lambda inputs: wanted in inputs)


@asynccontextmanager
async def watch(root: Path, path: Path, **params: Any) -> AsyncIterator[Watching]:
    """Run a filesystem trigger on `path` until the block ends; ready when it yields."""
    trigger = Trigger("inbox", "filesystem", {"path": str(path), **params})
    source = FileTrigger.from_trigger("wf", trigger, [root])
    watching = Watching()
    task = asyncio.create_task(source.run(watching.emit))
    try:
        await _until_ready(path, watching)
        watching.events.clear()
        yield watching
    finally:
        task.cancel()
        done, _ = await asyncio.wait([task], timeout=TIMEOUT)
        assert done, "the trigger did not stop within the timeout once cancelled"


async def _until_ready(path: Path, watching: Watching) -> None:
    """Create probe files until one is seen: the watcher is then set up."""
    for attempt in range(int(TIMEOUT / 0.2)):
        probe = path / f"probe-{attempt}.csv"
        probe.write_text("probe")
        try:
            await watching.wait_for(bool, timeout=0.2)
        except TimeoutError:
            continue
        return
    raise AssertionError(f"the watcher saw no change under {path} in {TIMEOUT} s")


async def test_a_created_modified_and_deleted_file_each_fire(tmp_path: Path) -> None:
    async with watch(tmp_path, tmp_path) as watching:
        target = tmp_path / "orders.json"
        target.write_text("{}")
        await watching.event(target, "created")
        target.write_text('{"n": 1}')
        await watching.event(target, "modified")
        target.unlink()
        await watching.event(target, "deleted")
    assert all(event.workflow == "wf" and event.trigger == "inbox" for event in watching.events)
    assert all(event.idempotency_key is None for event in watching.events)


async def test_changes_in_subdirectories_fire_when_recursive(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    async with watch(tmp_path, tmp_path) as watching:
        target = tmp_path / "sub" / "deep.txt"
        target.write_text("x")
        await watching.event(target, "created")


async def test_only_the_chosen_events_and_pattern_fire(tmp_path: Path) -> None:
    async with watch(tmp_path, tmp_path, events=["created"], pattern="*.csv") as watching:
        ignored = tmp_path / "notes.txt"
        ignored.write_text("x")
        wanted = tmp_path / "data.csv"
        wanted.write_text("a,b")
        await watching.event(wanted, "created")
        wanted.unlink()
        last = tmp_path / "last.csv"
        last.write_text("c,d")
        await watching.event(last, "created")
    seen = [event.input for event in watching.events]
    assert {"path": str(ignored), "event": "created"} not in seen
    assert all(item["event"] == "created" for item in seen)


async def test_cancelling_stops_the_watch_promptly(tmp_path: Path) -> None:
    trigger = Trigger("inbox", "filesystem", {"path": str(tmp_path)})
    source = FileTrigger.from_trigger("wf", trigger, [tmp_path])
    watching = Watching()
    task = asyncio.create_task(source.run(watching.emit))
    await _until_ready(tmp_path, watching)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=2.0)
    assert done
    assert task.cancelled()


async def test_a_symlink_out_of_the_root_fires_nothing_and_is_logged_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root, outside = tmp_path / "root", tmp_path / "outside"
    root.mkdir()
    outside.mkdir()
    (root / "link").symlink_to(outside, target_is_directory=True)
    secret = outside / "secret.txt"
    seen_through_link = root / "link" / "secret.txt"
    with caplog.at_level(logging.WARNING, "xene.triggers.files"):
        async with watch(root, root) as watching:
            for round_ in range(2):
                secret.write_text(f"change {round_}")
                # After the link's change in path order: seen, it was handled first.
                marker = root / f"zz-marker-{round_}.txt"
                marker.write_text("x")
                await watching.event(marker, "created")
    assert [e for e in watching.events if e.input["path"] == str(seen_through_link)] == []
    warnings = [r.getMessage() for r in caplog.records if str(seen_through_link) in r.getMessage()]
    assert len(warnings) == 1
    assert "outside the filesystem roots" in warnings[0]
