"""The agent's outbox: commits sent in order, each at least once, across a server that
cannot be reached for a while; a fenced run's sending ends."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from xene.agent import outbox
from xene.agent.outbox import Fenced, Outbox, Unsent


class Server:
    """Applies each commit once by its sequence number, as the server does; can be down."""

    def __init__(self) -> None:
        self.applied: list[int] = []
        self.requests: list[list[int]] = []
        self.down = 0
        """Requests still to fail."""
        self.fence_at: int | None = None

    async def send(self, commits: list[dict[str, Any]]) -> None:
        await asyncio.sleep(0)
        self.requests.append([c["seq"] for c in commits])
        if self.down:
            self.down -= 1
            raise Unsent("connection refused")
        for commit in commits:
            if self.fence_at is not None and commit["seq"] >= self.fence_at:
                raise Fenced
            if not self.applied or commit["seq"] > self.applied[-1]:
                self.applied.append(commit["seq"])


async def no_sleep(seconds: float) -> None:
    await asyncio.sleep(0)


def box(tmp_path: Path, server: Server) -> Outbox:
    return Outbox(tmp_path / "run-1.jsonl", server.send, sleep=no_sleep)


async def test_commits_are_sent_in_order_and_the_file_goes(tmp_path: Path) -> None:
    server = Server()
    out = box(tmp_path, server)
    assert [out.put({"n": i}) for i in range(5)] == [1, 2, 3, 4, 5]
    sending = asyncio.create_task(out.run())
    await asyncio.sleep(0)
    out.put({"n": 5})
    out.close()
    await sending
    assert server.applied == [1, 2, 3, 4, 5, 6]
    assert out.sent == 6
    assert not (tmp_path / "run-1.jsonl").exists()


async def test_a_server_that_cannot_be_reached_gets_everything_later(tmp_path: Path) -> None:
    server = Server()
    server.down = 3
    out = box(tmp_path, server)
    for i in range(4):
        out.put({"n": i})
    out.close()
    await out.run()
    assert server.applied == [1, 2, 3, 4]
    assert server.requests[:3] == [[1, 2, 3, 4]] * 3  # each retry starts where it stopped


async def test_commits_wait_on_disk_while_unsent(tmp_path: Path) -> None:
    server = Server()
    server.down = 1_000
    out = box(tmp_path, server)
    sending = asyncio.create_task(out.run())
    out.put({"lines": ["x" * 100]})
    for _ in range(20):
        await asyncio.sleep(0)
    assert (tmp_path / "run-1.jsonl").read_text().count("\n") == 1
    assert server.applied == []
    server.down = 0
    out.close()
    await sending
    assert server.applied == [1]


async def test_a_large_backlog_goes_in_requests_of_bounded_size(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "MAX_REQUEST_BYTES", 200)
    server = Server()
    out = box(tmp_path, server)
    for i in range(10):
        out.put({"line": f"{i:040d}"})
    out.close()
    await out.run()
    assert server.applied == list(range(1, 11))
    assert len(server.requests) > 1
    assert all(len(r) <= 4 for r in server.requests)


async def test_a_fenced_run_sends_nothing_more(tmp_path: Path) -> None:
    server = Server()
    server.fence_at = 3
    out = box(tmp_path, server)
    for i in range(5):
        out.put({"n": i})
    out.close()
    await out.run()
    assert out.fenced
    assert server.applied == [1, 2]
    assert not (tmp_path / "run-1.jsonl").exists()


async def test_nothing_is_put_after_close(tmp_path: Path) -> None:
    out = box(tmp_path, Server())
    out.close()
    with pytest.raises(RuntimeError, match="closed"):
        out.put({})
    await out.run()


async def test_a_file_left_behind_is_sent_as_it_was_numbered(tmp_path: Path) -> None:
    path = tmp_path / "run-1.7.jsonl"
    path.write_bytes(b'{"seq":1,"n":0}\n{"seq":2,"n":1}\n{"seq":3,"n"')  # killed mid-line
    server = Server()
    out = Outbox(path, server.send, sleep=no_sleep, left=True)
    assert out.written == 2
    assert out.put({"n": "release"}) == 3
    out.close()
    await out.run()
    assert server.applied == [1, 2, 3]
    assert not path.exists()


async def test_an_empty_file_left_behind_starts_at_one(tmp_path: Path) -> None:
    path = tmp_path / "run-1.7.jsonl"
    path.write_bytes(b'{"seq":1,')
    out = Outbox(path, Server().send, sleep=no_sleep, left=True)
    assert out.written == 0
    assert out.put({}) == 1
    out.close()
    await out.run()
