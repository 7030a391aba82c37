"""Contract: leases with fencing. Every claim of a run starts a new epoch; a commit of an
earlier epoch is refused (`Fenced`) and writes nothing; a commit numbered (`Batch.seq`)
as one the run has applied is skipped; `renew_leases` extends only the leases still held."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from tests.store.factories import approval, chunk, new_run, node, run_row, step
from xene.store.base import (
    Batch,
    Fenced,
    NewRun,
    NodeProgress,
    RetryRequest,
    ServerStore,
    Store,
    StoredRun,
)
from xene.store.memory import MemoryStore
from xene.store.sql import SqlStore
from xene.store.sqlite import SqliteStore
from xene.store.txn import Result, Stmt

NOW = 1_700_000_100.0
LATER = NOW + 30


@pytest.fixture
def server(store: Store) -> ServerStore:
    """The `store` fixture as what it also is: a ServerStore (checked by mypy here)."""
    assert isinstance(store, MemoryStore | SqlStore)
    return store


async def queued(store: ServerStore) -> str:
    run_id, _ = await store.create_run(new_run(state="WaitingForExecutor", owner="", lease_until=0))
    return run_id


async def read(store: Store, run_id: str) -> StoredRun:
    stored = await store.get_run(run_id)
    assert stored is not None
    return stored


async def executed(store: Store, owner: str = "me:1", lease_until: float = LATER) -> str:
    run_id, _ = await store.create_run(new_run(owner=owner, lease_until=lease_until))
    return run_id


def writes(run_id: str, epoch: int | None, seq: int | None = None, key: str = "a") -> Batch:
    """A batch that changes the run, a node, a step and the log, of `epoch`."""
    return Batch(
        run=run_row(run_id, "Running"),
        nodes=[node(key)],
        steps=[step(key, 0)],
        logs=[chunk(run_id, key, f"line of {key}")],
        lease_until=LATER + 100,
        epoch=epoch,
        seq=seq,
    )


async def lines(store: Store, run_id: str) -> list[str]:
    return [line for c in await store.read_logs(run_id) for line in c.lines]


# -- epochs -----------------------------------------------------------------------------
async def test_a_run_created_executed_has_epoch_1_and_a_queued_one_0(server: ServerStore) -> None:
    assert (await read(server, await executed(server))).epoch == 1
    source = new_run().source
    queued_run = NewRun.of("01HXQUEUED000000000001", source, None, NOW)
    run_id, _ = await server.create_run(queued_run)
    assert (await read(server, run_id)).epoch == 0
    executed_run = NewRun.of("01HXEXECUTED0000000001", source, None, NOW).executed_by("me:1", LATER)
    run_id, _ = await server.create_run(executed_run)
    assert (await read(server, run_id)).epoch == 1


async def test_claim_run_starts_a_new_epoch_each_time(store: Store) -> None:
    run_id = await executed(store, "other-host:7", NOW - 1)
    assert await store.claim_run(run_id, "me:1", LATER, NOW) is True
    assert (await read(store, run_id)).epoch == 2
    assert await store.claim_run(run_id, "me:1", LATER, NOW) is True  # ours: again
    assert (await read(store, run_id)).epoch == 3


async def test_a_refused_claim_leaves_the_epoch(store: Store) -> None:
    run_id = await executed(store, "other-host:7", NOW + 5)
    assert await store.claim_run(run_id, "me:1", LATER, NOW) is False
    assert (await read(store, run_id)).epoch == 1


async def test_claims_of_queued_runs_start_an_epoch_and_return_it(server: ServerStore) -> None:
    first, second = await queued(server), await queued(server)
    assert await server.claim_runs("agent:a", 1, LATER, NOW) == [first]
    assert (await read(server, first)).epoch == 1
    [stored] = await server.claim_stored_runs("agent:b", 5, LATER, NOW)
    assert (stored.record.id, stored.epoch) == (second, 1)
    assert (await read(server, second)).epoch == 1


async def test_claiming_a_run_whose_lease_ended_returns_the_next_epoch(
    server: ServerStore,
) -> None:
    run_id = await queued(server)
    await server.claim_runs("agent:a", 1, NOW + 1, NOW)
    await server.commit(run_id, Batch(nodes=[node("a")], epoch=1))  # read in full
    [stored] = await server.claim_stored_runs("agent:b", 1, LATER, NOW + 2)
    assert (stored.owner, stored.epoch) == ("agent:b", 2)
    assert list(stored.record.nodes) == ["a"]


async def test_requeueing_a_suspended_run_starts_a_new_epoch(server: ServerStore) -> None:
    run_id = await executed(server)
    await server.commit(run_id, Batch(run=run_row(run_id, "Suspended"), epoch=1))
    assert await server.requeue_run(run_id) is True
    assert (await read(server, run_id)).epoch == 2
    with pytest.raises(Fenced):  # the execution that suspended it writes nothing more
        await server.commit(run_id, writes(run_id, 1))
    [stored] = await server.claim_stored_runs("agent:a", 1, LATER, NOW)
    assert stored.epoch == 3


async def test_retrying_a_run_starts_a_new_epoch(server: ServerStore) -> None:
    run_id = await executed(server)
    await server.commit(run_id, Batch(run=run_row(run_id, "Error", ended_at=NOW)))
    request = RetryRequest("alice", NOW, (), owner="me:2", lease_until=LATER)
    assert await server.retry_run(run_id, request) is not None
    assert (await read(server, run_id)).epoch == 2


# -- fenced commits ---------------------------------------------------------------------
async def test_a_commit_of_the_current_epoch_is_applied(store: Store) -> None:
    run_id = await executed(store)
    await store.commit(run_id, writes(run_id, 1))
    stored = await read(store, run_id)
    assert str(stored.record.state) == "Running"
    assert list(stored.record.nodes) == ["a"]
    assert stored.lease_until == LATER + 100
    assert await lines(store, run_id) == ["line of a"]


async def test_a_commit_of_an_earlier_epoch_is_fenced_and_writes_nothing(store: Store) -> None:
    run_id = await executed(store, "other-host:7", NOW - 1)
    assert await store.claim_run(run_id, "me:1", LATER, NOW)
    with pytest.raises(Fenced, match=run_id):
        await store.commit(run_id, writes(run_id, 1))
    stored = await read(store, run_id)
    assert str(stored.record.state) == "NotExecuted"
    assert stored.record.nodes == {}
    assert (stored.owner, stored.lease_until, stored.epoch) == ("me:1", LATER, 2)
    assert await store.read_logs(run_id) == []
    await store.commit(run_id, writes(run_id, 2))  # the new owner's commits go on
    assert list((await read(store, run_id)).record.nodes) == ["a"]


async def test_every_kind_of_batch_is_fenced(store: Store) -> None:
    """Run changes alone, a lease alone, progress, approvals: the shared transaction and
    PostgreSQL's one statement alike."""
    run_id = await executed(store)
    await store.commit(run_id, writes(run_id, 1))
    assert await store.claim_run(run_id, "me:1", LATER, NOW)
    stale = [
        Batch(run=run_row(run_id, "Success", ended_at=NOW), epoch=1),
        Batch(lease_until=0.0, epoch=1),
        Batch(nodes=[node("b")], epoch=1),
        Batch(logs=[chunk(run_id, "a", "late")], epoch=1),
        Batch(approvals=[approval(run_id, "hook-f")], nodes=[node("c")], epoch=1),
        Batch(progress=[NodeProgress("a", "[1,2]")], epoch=1),
        writes(run_id, 1, seq=1, key="d"),
    ]
    for batch in stale:
        with pytest.raises(Fenced):
            await store.commit(run_id, batch)
    stored = await read(store, run_id)
    assert str(stored.record.state) == "Running"
    assert list(stored.record.nodes) == ["a"]
    assert stored.record.nodes["a"].progress is None
    assert stored.lease_until == LATER
    assert await lines(store, run_id) == ["line of a"]
    assert await store.get_approval("hook-f") is None


async def test_a_commit_without_an_epoch_is_never_fenced(store: Store) -> None:
    run_id = await executed(store)
    assert await store.claim_run(run_id, "me:1", LATER, NOW)
    await store.commit(run_id, Batch(run=run_row(run_id, "Error", error="given up", ended_at=NOW)))
    assert str((await read(store, run_id)).record.state) == "Error"


async def test_a_fenced_commit_of_a_run_not_there_is_a_key_error(store: Store) -> None:
    with pytest.raises(KeyError):
        await store.commit("01HXNOSUCHRUN", writes("01HXNOSUCHRUN", 1, seq=1))


async def test_the_first_commit_of_a_run_created_here_is_fenced_too(store: Store) -> None:
    """PostgreSQL inserts a new run's first nodes without looking for conflicts."""
    run_id = await executed(store)
    assert await store.claim_run(run_id, "me:1", LATER, NOW)
    with pytest.raises(Fenced):
        await store.commit(run_id, Batch(nodes=[node("a"), node("b")], epoch=1))
    await store.commit(run_id, Batch(nodes=[node("b")], epoch=2))
    assert list((await read(store, run_id)).record.nodes) == ["b"]


# -- numbered commits -------------------------------------------------------------------
async def test_a_commit_sent_twice_is_applied_once(store: Store) -> None:
    run_id = await executed(store)
    await store.commit(run_id, writes(run_id, 1, seq=1))
    await store.commit(run_id, writes(run_id, 1, seq=1))
    await store.commit(run_id, writes(run_id, 1, seq=2, key="b"))
    await store.commit(run_id, writes(run_id, 1, seq=1, key="c"))  # an old one, late
    stored = await read(store, run_id)
    assert list(stored.record.nodes) == ["a", "b"]
    assert await lines(store, run_id) == ["line of a", "line of b"]


async def test_numbers_may_skip_but_never_go_back(store: Store) -> None:
    run_id = await executed(store)
    await store.commit(run_id, writes(run_id, 1, seq=3))
    await store.commit(run_id, writes(run_id, 1, seq=2, key="b"))
    await store.commit(run_id, Batch(approvals=[approval(run_id, "hook-d")], epoch=1, seq=3))
    await store.commit(run_id, writes(run_id, 1, seq=7, key="c"))
    assert list((await read(store, run_id)).record.nodes) == ["a", "c"]
    assert await store.get_approval("hook-d") is None


async def test_a_new_epoch_numbers_its_commits_afresh(store: Store) -> None:
    run_id = await executed(store)
    await store.commit(run_id, writes(run_id, 1, seq=5))
    assert await store.claim_run(run_id, "me:1", LATER, NOW)
    await store.commit(run_id, writes(run_id, 2, seq=1, key="b"))
    assert list((await read(store, run_id)).record.nodes) == ["a", "b"]


async def test_an_old_epochs_duplicate_is_fenced_not_skipped(store: Store) -> None:
    run_id = await executed(store)
    await store.commit(run_id, writes(run_id, 1, seq=1))
    assert await store.claim_run(run_id, "me:1", LATER, NOW)
    with pytest.raises(Fenced):
        await store.commit(run_id, writes(run_id, 1, seq=1))


async def test_commits_without_numbers_leave_the_numbering(store: Store) -> None:
    run_id = await executed(store)
    await store.commit(run_id, writes(run_id, 1, seq=2))
    await store.commit(run_id, writes(run_id, 1, key="b"))
    await store.commit(run_id, writes(run_id, 1, seq=2, key="c"))
    assert list((await read(store, run_id)).record.nodes) == ["a", "b"]


# -- renewing leases --------------------------------------------------------------------
async def test_renew_leases_extends_the_runs_still_held_at_their_epoch(store: Store) -> None:
    held = await executed(store, "agent:a", NOW + 1)
    claimed_again = await executed(store, "agent:a", NOW - 1)
    assert await store.claim_run(claimed_again, "agent:a", NOW + 1, NOW)  # epoch 2 now
    others = await executed(store, "agent:b", NOW + 1)
    ended = await executed(store, "agent:a", NOW + 1)
    await store.commit(ended, Batch(run=run_row(ended, "Success", ended_at=NOW)))
    asked = {held: 1, claimed_again: 1, others: 1, ended: 1, "01HXNOSUCHRUN": 1}
    assert await store.renew_leases("agent:a", asked, LATER) == {held}
    assert (await read(store, held)).lease_until == LATER
    for run_id in (claimed_again, others, ended):
        assert (await read(store, run_id)).lease_until == NOW + 1
    assert await store.renew_leases("agent:a", {claimed_again: 2}, LATER) == {claimed_again}


async def test_renewing_nothing_renews_nothing(store: Store) -> None:
    assert await store.renew_leases("agent:a", {}, LATER) == set()


async def test_a_renewed_lease_keeps_a_run_from_being_claimed(server: ServerStore) -> None:
    run_id = await queued(server)
    [stored] = await server.claim_stored_runs("agent:a", 1, NOW + 1, NOW)
    assert await server.renew_leases("agent:a", {run_id: stored.epoch}, LATER) == {run_id}
    assert await server.claim_runs("agent:b", 1, LATER, NOW + 2) == []


# -- SQLite before 3.35 (no UPDATE ... RETURNING) ------------------------------------------
@pytest.fixture
async def old_sqlite(tmp_path: object) -> AsyncIterator[SqliteStore]:
    from xene.store import open_store

    store = await open_store(f"sqlite:///{tmp_path}/old.db")
    assert isinstance(store, SqliteStore)
    store.commit_returning = False  # the statements SQLite before 3.35 runs
    yield store
    await store.close()


async def test_sqlite_without_returning_fences_skips_and_renews_alike(
    old_sqlite: SqliteStore,
) -> None:
    store = old_sqlite
    run_id = await executed(store, "agent:a")
    await store.commit(run_id, writes(run_id, 1, seq=1))
    await store.commit(run_id, writes(run_id, 1, seq=1, key="b"))
    assert await store.renew_leases("agent:a", {run_id: 1, "01HXNOSUCHRUN": 1}, LATER) == {run_id}
    assert await store.claim_run(run_id, "agent:a", LATER, NOW)
    with pytest.raises(Fenced):
        await store.commit(run_id, writes(run_id, 1, seq=2, key="c"))
    await store.commit(run_id, writes(run_id, 2, seq=1, key="d"))
    assert await store.renew_leases("agent:a", {run_id: 1}, LATER + 5) == set()
    stored = await read(store, run_id)
    assert list(stored.record.nodes) == ["a", "d"]
    assert stored.lease_until == LATER + 100


# -- PostgreSQL: one statement ------------------------------------------------------------
@pytest.fixture
async def counted(
    pg_database: str, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[ServerStore, list[str]]]:
    """A PostgreSQL store, and the statements it sends."""
    from xene.store import open_store, postgres

    sent: list[str] = []
    real = postgres._execute

    def counting(cursor: Any, columns: Any, stmt: Stmt) -> Result:
        sent.append(stmt.sql)
        return real(cursor, columns, stmt)

    monkeypatch.setattr(postgres, "_execute", counting)
    store = await open_store(pg_database)
    assert isinstance(store, postgres.PostgresStore)
    yield store, sent
    await store.close()


async def test_postgresql_fences_a_commit_and_renews_leases_in_one_statement(
    counted: tuple[ServerStore, list[str]],
) -> None:
    store, sent = counted
    run_id = await executed(store, "agent:a")
    sent.clear()
    await store.commit(run_id, writes(run_id, 1, seq=1))
    assert len(sent) == 1  # the run row, nodes, steps and logs: one statement
    await store.commit(run_id, writes(run_id, 1, seq=1, key="b"))
    assert len(sent) == 3  # a duplicate: the statement, then one read to tell why
    assert await store.renew_leases("agent:a", {run_id: 1}, LATER) == {run_id}
    assert len(sent) == 4
    assert list((await read(store, run_id)).record.nodes) == ["a"]


async def test_a_runs_summary_names_its_owner_and_lease_without_its_records(
    server: ServerStore,
) -> None:
    run_id = await queued(server)
    (claimed,) = await server.claim_stored_runs("agent:box", 1, LATER, NOW, ())
    await server.commit(run_id, Batch(nodes=[node("a")], epoch=claimed.epoch))
    summary = await server.run_summary(run_id)
    assert summary is not None
    assert (summary.id, summary.owner, summary.lease_until) == (run_id, "agent:box", LATER)
    assert summary.state == "WaitingForExecutor"
    assert await server.run_summary("01HXNOPE") is None


async def test_the_cancels_asked_of_many_runs_are_read_in_one_look(server: ServerStore) -> None:
    asked, left = await queued(server), await queued(server)
    await server.claim_stored_runs("agent:box", 2, LATER, NOW, ())
    assert await server.request_cancel(asked)
    assert await server.cancels_requested([asked, left, "01HXNOPE"]) == {asked}
    assert await server.cancels_requested([]) == set()
