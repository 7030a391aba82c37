"""Servers woken by the store, not by their polls: every poll interval here is a minute,
every wait for an outcome half of one. A run queued through one server starts on
another, a cancel asked of one stops the step another runs, and one server's streams
follow a run another executes, each long before a poll would have found it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.api.conftest import client_of, shell_workflow
from xene.server.api import create_app, sse
from xene.server.config import ServerConfig
from xene.server.runtime import Runtime
from xene.store import open_store, wakeups
from xene.store.base import ServerStore

POLL_S = 60.0
"""Every poll interval of these servers: an outcome within WAIT_S came by a wake-up."""
WAIT_S = 30.0


def config(**changes: Any) -> ServerConfig:
    return ServerConfig(auth=False, poll_s=POLL_S, grace_s=0, **changes)


async def final_state(store: ServerStore, run_id: str) -> str:
    """The run's state once it has ended; the wake-ups carry it here, not this loop."""
    while True:
        stored = await store.get_run(run_id)
        assert stored is not None
        if stored.record.state.finished:
            return str(stored.record.state)
        await asyncio.sleep(0.02)


async def ended(store: ServerStore, run_id: str) -> str:
    return await asyncio.wait_for(final_state(store, run_id), WAIT_S)


async def appears(path: Path) -> None:
    async def look() -> None:
        while not path.exists():
            await asyncio.sleep(0.01)

    await asyncio.wait_for(look(), WAIT_S)


async def listening(store: ServerStore) -> None:
    """Until the store's listener LISTENs (in-process wake-ups need none)."""
    seam = wakeups.of(store)
    if not isinstance(seam, wakeups.PgWakeups):
        return
    with seam.subscribe("queued") as sub:
        while not seam.listening:
            await sub.wait(WAIT_S)


@pytest.fixture
async def servers(pg_database: str) -> AsyncIterator[Callable[..., Any]]:
    """Servers on one PostgreSQL database, each with a store of its own (as processes
    have): `await make(start=True, **config)`."""
    made: list[tuple[Runtime, ServerStore]] = []

    async def make(*, start: bool = True, **changes: Any) -> Runtime:
        store = await open_store(pg_database)
        runtime = Runtime(store, config(**changes))
        made.append((runtime, store))
        if start:
            await runtime.start()
            await listening(store)
        return runtime

    yield make
    for runtime, store in made:
        if runtime.started:
            await runtime.stop(0)
        await store.close()


async def deliver(client: httpx.AsyncClient, workflow: str) -> str:
    response = await client.post(f"/api/v1/hooks/{workflow}/go", json={"n": 1})
    assert response.status_code == 202, response.text
    (run_id,) = response.json()["runs"]
    return str(run_id)


async def test_a_run_queued_by_a_webhook_to_one_server_starts_on_another(
    servers: Callable[..., Any],
) -> None:
    receiver = await servers(start=False)  # its agent does not run: another must
    executor = await servers()
    await receiver.apply(shell_workflow("hooked", "echo hi", trigger="webhook"), "hooked.yaml")
    async with client_of(create_app(receiver)) as client:
        # The second run is queued while the executor waits (a poll away) for work.
        for _ in range(2):
            run_id = await deliver(client, "hooked")
            assert await ended(receiver.store, run_id) == "Success"
    assert executor.started


async def test_a_run_left_by_a_stopping_server_is_taken_by_another_at_once(
    servers: Callable[..., Any], tmp_path: Path
) -> None:
    leaving = await servers()
    started, go = tmp_path / "started", tmp_path / "go"
    wait_for_go = f"touch {started}; while [ ! -f {go} ]; do sleep 0.02; done"
    await leaving.apply(shell_workflow("handed", wait_for_go), "handed.yaml")
    run_id, _ = await leaving.trigger("handed", "main")
    await appears(started)
    taker = await servers()
    started.unlink()
    await leaving.stop(0)  # the step is stopped, the run left unowned for another
    await appears(started)  # the taker runs the node again
    go.touch()
    assert await ended(taker.store, run_id) == "Success"


async def test_a_cancel_asked_of_one_server_stops_the_step_another_runs(
    servers: Callable[..., Any], tmp_path: Path
) -> None:
    asker = await servers(start=False)
    executor = await servers()
    marker = tmp_path / "started"
    await executor.apply(shell_workflow("napping", f"touch {marker}; sleep 120"), "nap.yaml")
    run_id, _ = await executor.trigger("napping", "main")
    await appears(marker)
    await asker.cancel(run_id)  # not executed there: asked through the store
    assert await ended(asker.store, run_id) == "Cancelled"


async def collect_events(runtime: Runtime, run_id: str) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async for change in runtime.hub.subscribe():
        seen.append(change)
        if change == {**change, "type": "run", "run": run_id, "state": "Success"}:
            return seen
    return seen


async def follow(store: ServerStore, run_id: str) -> list[str]:
    stream = sse.follow_logs(store, run_id, node=None, step=None, after=0, poll_s=POLL_S)
    return [text async for text in stream]


async def test_one_servers_streams_follow_a_run_another_executes(
    servers: Callable[..., Any], tmp_path: Path
) -> None:
    watcher = await servers(capacity=0)  # it executes nothing: it only watches
    executor = await servers()
    go = tmp_path / "go"
    steps = (f"echo waiting; while [ ! -f {go} ]; do sleep 0.02; done", "echo finished")
    await executor.apply(shell_workflow("watched", *steps), "watched.yaml")
    run_id, _ = await executor.trigger("watched", "main")
    events = asyncio.create_task(collect_events(watcher, run_id))
    logs = asyncio.create_task(follow(watcher.store, run_id))
    while not watcher.hub.listening:  # the events stream has subscribed
        await asyncio.sleep(0)
    go.touch()
    seen = await asyncio.wait_for(events, WAIT_S)
    texts = await asyncio.wait_for(logs, WAIT_S)
    assert ("work", "Success") in {(e.get("node"), e.get("state")) for e in seen}
    assert "finished" in "".join(texts)
    assert texts[-1].startswith("event: end\n")


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[Runtime]:
    store = await open_store(f"sqlite:///{tmp_path}/x.db")
    runtime = Runtime(store, config())
    await runtime.start()
    yield runtime
    await runtime.stop(0)
    await store.close()


async def test_on_sqlite_a_cancel_asked_through_the_store_stops_the_step(
    local: Runtime, tmp_path: Path
) -> None:
    """As `xene cancel` on this machine or a second runtime would: not the agent itself."""
    marker = tmp_path / "started"
    await local.apply(shell_workflow("napping", f"touch {marker}; sleep 120"), "nap.yaml")
    run_id, _ = await local.trigger("napping", "main")
    await appears(marker)
    other = Runtime(local.store, config())
    await other.cancel(run_id)
    assert await ended(local.store, run_id) == "Cancelled"


async def test_on_sqlite_a_followed_log_gets_each_commit_at_once(local: Runtime) -> None:
    await local.apply(shell_workflow("chatty", "echo one", "echo two"), "chatty.yaml")
    run_id, _ = await local.trigger("chatty", "main")
    texts = await asyncio.wait_for(follow(local.store, run_id), WAIT_S)
    assert "one" in "".join(texts)
    assert "two" in "".join(texts)
    assert texts[-1].startswith("event: end\n")
