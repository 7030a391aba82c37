"""SQLite specifics: the file, WAL, and several stores (or processes) on one file."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from tests.store.factories import new_run, node
from xene.store import open_store
from xene.store.base import Batch
from xene.store.sqlite import SqliteStore


async def test_the_parent_directory_is_created(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "xene.db"
    store = await open_store(f"sqlite:///{path}")
    await store.close()
    assert path.exists()


async def test_a_new_database_and_its_wal_files_are_private_to_the_owner(
    tmp_path: Path,
) -> None:
    path = tmp_path / "x.db"
    store = await open_store(f"sqlite:///{path}")
    await store.create_run(new_run())
    files = [path, *(p for p in tmp_path.glob("x.db-*"))]
    modes = {p.name: p.stat().st_mode & 0o777 for p in files}
    await store.close()
    assert {"x.db", "x.db-wal"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes


async def test_a_new_home_directory_is_private_to_the_owner(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'home' / 'xene.db'}")
    await store.close()
    assert (tmp_path / "home").stat().st_mode & 0o777 == 0o700


def test_the_url_names_a_relative_or_an_absolute_path() -> None:
    assert SqliteStore.from_url("sqlite:///rel/x.db").path == Path("rel/x.db")
    assert SqliteStore.from_url("sqlite:////abs/x.db").path == Path("/abs/x.db")


def test_a_url_without_a_path_is_refused() -> None:
    with pytest.raises(ValueError, match="sqlite:///PATH"):
        SqliteStore.from_url("sqlite:///")


async def test_the_database_is_in_wal_mode(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'x.db'}")
    await store.close()
    conn = sqlite3.connect(tmp_path / "x.db")
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    conn.close()


async def test_two_stores_on_one_file_see_each_others_commits(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    first, second = await open_store(url), await open_store(url)
    run_id, _ = await first.create_run(new_run())
    await second.commit(run_id, Batch(nodes=[node("a")]))
    stored = await first.get_run(run_id)
    assert stored is not None
    assert list(stored.record.nodes) == ["a"]
    await first.close()
    await second.close()


async def test_two_stores_racing_on_one_key_make_one_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    stores = [await open_store(url) for _ in range(3)]
    runs = [s.create_run(new_run(idempotency_key="k")) for s in stores for _ in range(3)]
    results = await asyncio.gather(*runs)
    assert len({run_id for run_id, _ in results}) == 1
    assert sum(created for _, created in results) == 1
    for store in stores:
        await store.close()


async def test_another_process_reads_and_writes_the_file_while_it_is_open(
    tmp_path: Path,
) -> None:
    url = f"sqlite:///{tmp_path / 'x.db'}"
    store = await open_store(url)
    run_id, _ = await store.create_run(new_run())
    script = textwrap.dedent(f"""
        import asyncio
        from xene.store import open_store
        from xene.store.base import NewRun, RunFilter, RunSource

        async def main():
            store = await open_store({url!r})
            print(*[r.id for r in await store.list_runs(RunFilter())])
            source = RunSource("", "", "python", "ci", "build")
            run = NewRun("01HXZZZZFROMCHILD", "ci", "build", None, source, 1.0, "child:1", 2.0)
            await store.create_run(run)
            await store.close()

        asyncio.run(main())
    """)
    child = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert child.stdout.split() == [run_id]
    assert await store.get_run("01HXZZZZFROMCHILD") is not None
    await store.close()


async def test_close_twice_is_harmless(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'x.db'}")
    await store.close()
    await store.close()


async def test_a_write_waits_for_anothers_lock_without_holding_up_the_loop(
    tmp_path: Path,
) -> None:
    """A commit is made on the loop's thread only when the write lock is free at once;
    while another process holds it, the commit waits on the database thread, and the
    loop goes on meanwhile."""
    path = tmp_path / "x.db"
    store = await open_store(f"sqlite:///{path}")
    run_id, _ = await store.create_run(new_run())  # made on the loop's thread
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another process holds the write lock
    commit = asyncio.ensure_future(store.commit(run_id, Batch(nodes=[node("a")])))
    turns = 0
    while turns < 50:  # the loop runs on while the commit waits for the lock
        await asyncio.sleep(0)
        turns += 1
    assert not commit.done()
    other.execute("ROLLBACK")
    other.close()
    await commit
    stored = await store.get_run(run_id)
    assert stored is not None
    assert list(stored.record.nodes) == ["a"]
    await store.close()
