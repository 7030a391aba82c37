"""What an agent owes the server for one run: its journal's commits, log chunks included,
numbered in order and sent in order, each at least once.

The engine's commit returns once the commit is in the outbox's file on the agent's disk;
a sender task takes the file's commits in order, several per request, and sends them.
While no server answers it retries (the file grows on disk, not in memory), and when one
answers it goes on where it stopped. The server applies a commit once, by its number
(`seq`), so sending one twice is harmless. A `Fenced` answer (the run's lease moved on
to another agent) ends the sending: nothing more of this run is the agent's to write.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

log = logging.getLogger("xene.agent")
MAX_REQUEST_BYTES = 1 << 20
"""Commits sent together in one request, up to about this much JSON."""
RETRY_S = (0.1, 0.5, 1.0, 2.0, 5.0)


class Fenced(Exception):
    """The server refused a commit: the run's lease is no longer this agent's."""


class Unsent(Exception):
    """The server could not be reached; try again later."""


Send = Callable[[list[dict[str, Any]]], Awaitable[None]]
"""Sends commits (in order) to the server; raises Unsent or Fenced."""


class Outbox:
    def __init__(
        self,
        path: Path,
        send: Send,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        *,
        left: bool = False,
    ) -> None:
        """`left`: the file is one an earlier process of the agent left (it stopped before
        the server had every commit): its commits are sent as they were numbered."""
        self.path, self.send, self.sleep = path, send, sleep
        self.written = _trimmed(path) if left else 0
        """Commits put in (the last one's `seq`)."""
        self._out = path.open("ab" if left else "wb")  # else a new claim: a new file
        self._in = path.open("rb")
        self.sent = 0
        """Commits the server has (the last one's `seq`)."""
        self.fenced = False
        self._offset_of_sent = 0
        self._wake = asyncio.Event()
        self._moved = asyncio.Event()
        """Set whenever `sent` moves on, or the sending ends."""
        self._closed = False
        self._done = False

    def put(self, commit: dict[str, Any]) -> int:
        """Add a commit (JSON-able); its sequence number. On disk when this returns (the
        page cache: a killed agent loses nothing of it, a crashed machine may)."""
        if self._closed:
            raise RuntimeError("the outbox is closed")
        self.written += 1
        line = json.dumps({"seq": self.written, **commit}, separators=(",", ":"))
        self._out.write(line.encode() + b"\n")
        self._out.flush()
        self._wake.set()
        return self.written

    def close(self) -> None:
        """No more commits: `run` returns once the server has every one (or is fenced)."""
        self._closed = True
        self._wake.set()

    def fence(self) -> None:
        """The run is no longer the agent's (the server said so some other way): what
        is not sent yet is dropped, and `run` ends at once (or after the request under
        way)."""
        self.fenced = True
        self._wake.set()
        self._moved.set()

    @property
    def unsent(self) -> int:
        return self.written - self.sent

    async def sent_all(self) -> bool:
        """Wait until the server has every commit put so far; False if fenced first (or
        the sending ended with some unsent)."""
        target = self.written
        while self.sent < target:
            if self.fenced or self._done:
                return False
            self._moved.clear()
            await self._moved.wait()
        return not self.fenced

    async def run(self) -> None:
        """Send every commit, in order, until closed and all sent, or fenced. Cancelled
        (the agent leaves with some unsent), the file stays on disk."""
        try:
            await self._send_all()
        finally:
            self._done = True
            self._moved.set()
            self._out.close()
            self._in.close()
        os.unlink(self.path)  # sent, or no longer the agent's to send

    async def _send_all(self) -> None:
        failures = 0
        while not self.fenced:
            commits = self._next_commits()
            if not commits:
                if self._closed:
                    break
                self._wake.clear()
                await self._wake.wait()
                continue
            try:
                await self.send(commits)
            except Unsent as exc:
                wait = RETRY_S[min(failures, len(RETRY_S) - 1)]
                failures += 1
                log.warning("%s: %s commits wait to be sent (%s); again in %.1fs",
                            self.path.name, self.written - self.sent, exc, wait)  # fmt: skip
                self._in.seek(self._offset_of_sent)
                await self.sleep(wait)
                continue
            except Fenced:
                self.fence()
                break
            failures = 0
            self.sent = commits[-1]["seq"]
            self._offset_of_sent = self._in.tell()
            self._moved.set()

    def _next_commits(self) -> list[dict[str, Any]]:
        """The next commits in the file, up to `MAX_REQUEST_BYTES` of them."""
        found: list[dict[str, Any]] = []
        size = 0
        while size < MAX_REQUEST_BYTES:
            start = self._in.tell()
            line = self._in.readline()
            if not line.endswith(b"\n"):  # nothing more yet (or half a line being written)
                self._in.seek(start)
                break
            found.append(json.loads(line))
            size += len(line)
        return found


def _trimmed(path: Path) -> int:
    """The last commit's `seq` in a file left behind, once a last line cut short by the
    process's end is cut off (0 for none)."""
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with path.open("r+b") as file:
            file.truncate(end)
    if end == 0:
        return 0
    last = data[data.rfind(b"\n", 0, end - 1) + 1 : end]
    return int(json.loads(last)["seq"])
