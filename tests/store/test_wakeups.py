"""Wake-ups (store/wakeups.py): a committed change wakes its waiters, a rolled-back one
never does; on PostgreSQL across stores (processes) sharing the database, through a
listener that survives losing its connection.

No test waits on the clock for something not to happen: a change that must not wake is
followed by one that must, and the waiter is shown only the second.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.store.factories import new_run, run_row
from xene.store import open_store, wakeups
from xene.store.base import Batch, Store
from xene.store.sql import SqlStore
from xene.store.txn import Stmt, Txn

WAIT_S = 30.0
"""How long a waiter that must be woken waits: far past any wake-up, far short of the
pytest timeout."""


def seam(store: Store) -> wakeups.Dispatch:
    found = wakeups.of(store)
    assert isinstance(found, wakeups.Dispatch)
    return found


async def woken(sub: wakeups.Subscription) -> set[str]:
    keys = await sub.wait(WAIT_S)
    assert keys, f"not woken within {WAIT_S} s on {sub.channel}"
    return keys


async def listening(sub: wakeups.Subscription) -> None:
    """Until the store's listener LISTENs (it says so by waking every waiter); in-process
    wake-ups need no listener."""
    if not isinstance(sub.owner, wakeups.PgWakeups):
        return
    while wakeups.MISSED not in await woken(sub):
        pass


class Refused(Exception):
    pass


def notify_then_fail(store: SqlStore, wake: wakeups.Wake) -> Txn[None]:
    notify = store._notify([wake])
    if notify is not None:
        yield notify
    yield Stmt("SELECT 1")
    raise Refused


async def test_a_queued_run_wakes_executors_and_followers_of_the_run(store: Store) -> None:
    with seam(store).subscribe("queued") as queued, seam(store).subscribe("changed") as changed:
        await listening(queued)
        await listening(changed)
        run = new_run("r1", state="WaitingForExecutor", owner="", lease_until=0.0)
        await store.create_run(run)
        assert wakeups.ANY in await woken(queued)
        assert "r1" in await woken(changed)


async def test_a_commit_wakes_the_runs_followers_only(store: Store) -> None:
    await store.create_run(new_run("r1"))
    await store.create_run(new_run("r2"))
    with seam(store).subscribe("changed", "r2") as follower:
        await listening(follower)
        await store.commit("r1", Batch(run=run_row("r1")))
        await store.commit("r2", Batch(run=run_row("r2")))
        assert await woken(follower) - {wakeups.MISSED} == {"r2"}


async def test_a_cancel_request_wakes_the_runs_watcher(store: Store) -> None:
    await store.create_run(new_run("r1"))
    with seam(store).subscribe("cancel", "r1") as watcher:
        await listening(watcher)
        assert await store.request_cancel("r1")  # type: ignore[attr-defined]
        assert "r1" in await woken(watcher)


async def test_a_rolled_back_change_wakes_nobody(store: Store) -> None:
    if not isinstance(store, SqlStore):
        pytest.skip("the memory store has no transactions")
    await store.create_run(new_run("r2"))
    with seam(store).subscribe("cancel") as watcher:
        await listening(watcher)
        with pytest.raises(Refused):
            await store._run(notify_then_fail(store, ("cancel", "r1")), write=True)
        assert await store.request_cancel("r2")
        assert await woken(watcher) == {"r2"}


@pytest.fixture
async def peers(pg_database: str) -> AsyncIterator[tuple[Any, Any]]:
    """Two PostgreSQL stores on one database: two processes, as far as wake-ups go."""
    first, second = await open_store(pg_database), await open_store(pg_database)
    yield first, second
    await first.close()
    await second.close()


async def test_a_notify_committed_by_one_store_wakes_another(peers: tuple[Any, Any]) -> None:
    writer, reader = peers
    await writer.create_run(new_run("r1"))
    with reader.wakeups.subscribe("cancel", "r1") as watcher:
        await listening(watcher)
        assert await writer.request_cancel("r1")
        assert await woken(watcher) == {"r1"}


async def test_a_rolled_back_notify_wakes_no_other_store(peers: tuple[Any, Any]) -> None:
    writer, reader = peers
    await writer.create_run(new_run("r2"))
    with reader.wakeups.subscribe("cancel") as watcher:
        await listening(watcher)
        with pytest.raises(Refused):
            await writer._run(notify_then_fail(writer, ("cancel", "r1")), write=True)
        assert await writer.request_cancel("r2")
        assert await woken(watcher) == {"r2"}  # PostgreSQL delivers in commit order


async def test_a_listener_whose_connection_is_killed_listens_again(
    peers: tuple[Any, Any],
) -> None:
    writer, reader = peers
    reader.wakeups.reconnect_s = 0.05
    await writer.create_run(new_run("r1"))
    with reader.wakeups.subscribe("cancel", "r1") as watcher:
        await listening(watcher)
        pid = reader.wakeups.connection.info.backend_pid
        await writer._run(terminate(pid), write=False)
        await listening(watcher)  # woken to look: what was notified meanwhile is lost
        assert reader.wakeups.connection.info.backend_pid != pid
        assert await writer.request_cancel("r1")
        assert await woken(watcher) == {"r1"}


async def test_a_watcher_that_begins_later_is_sent_the_changes(peers: tuple[Any, Any]) -> None:
    """A writer notifies `changed` only while some process watches: it hears of one
    that begins (its announcement) before the next commit."""
    writer, reader = peers
    writer.wakeups.answer_s = 0.0  # nobody answered its asking: nobody watches
    with writer.wakeups.subscribe("queued") as executor:
        await listening(executor)
        assert not writer.wakeups.watched
        await writer.create_run(new_run("r1"))
        with reader.wakeups.subscribe("changed", "r1") as follower:
            await listening(follower)
            await asyncio.wait_for(heard_of_a_watcher(writer), WAIT_S)
            await writer.commit("r1", Batch(run=run_row("r1")))
            assert await woken(follower) == {"r1"}


async def heard_of_a_watcher(store: Any) -> None:
    while not store.wakeups.watched:
        await asyncio.sleep(0.01)


def terminate(pid: int) -> Txn[None]:
    done = yield Stmt("SELECT pg_terminate_backend(%s)", (pid,))
    assert done.scalar is True


async def test_a_listener_that_cannot_connect_leaves_its_waiters_to_poll(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def send(notes: Any) -> None:
        return None

    nowhere = wakeups.PgWakeups("postgresql://postgres@127.0.0.1:1/none", send, reconnect_s=0.01)
    with nowhere.subscribe("queued") as sub:
        assert await sub.wait(0.2) == set()  # the poll interval passed: look anyway
        assert await sub.wait(0.2) == set()
    await nowhere.close()
    assert not nowhere.listening
    warned = [r for r in caplog.records if r.levelname == "WARNING"]
    assert len(warned) == 1  # once for the outage, not at every try
    assert "polling until it is back" in warned[0].getMessage()
