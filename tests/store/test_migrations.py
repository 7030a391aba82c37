"""Migrations: numbered SQL files per dialect, applied in order, once, all or nothing."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest

from tests.store import old_schemas
from xene.store import open_store, sqlfiles, store_for
from xene.store.sql import SqlStore
from xene.store.sqlfiles import Migration

LATEST = sqlfiles.load_migrations("sqlite")[-1].version


@pytest.fixture(params=["sqlite", "postgres"])
def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A database without any table."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    return str(request.getfixturevalue("pg_empty"))


@pytest.fixture
def extra_migration(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """A migration after the real ones, once the test has given it statements."""
    statements: list[str] = []
    real = sqlfiles.load_migrations

    def with_extra(dialect: str) -> list[Migration]:
        extra = [Migration(LATEST + 1, "extra", tuple(statements))] if statements else []
        return [*real(dialect), *extra]

    monkeypatch.setattr(sqlfiles, "load_migrations", with_extra)
    return statements


async def _migrate(url: str) -> None:
    store = await open_store(url)
    await store.close()


async def _version(url: str) -> int:
    store = store_for(url)
    assert isinstance(store, SqlStore)
    try:
        return await store.schema_version()
    finally:
        await store.close()


async def test_an_empty_database_is_migrated_to_the_latest_version(empty_url: str) -> None:
    assert await _version(empty_url) == 0
    await _migrate(empty_url)
    assert await _version(empty_url) == LATEST


async def test_migrating_twice_changes_nothing(empty_url: str) -> None:
    store = await open_store(empty_url)
    await store.record_fire("t", "k", 1.0)
    await store.migrate()
    assert await store.record_fire("t", "k", 1.0) is False
    await store.close()
    assert await _version(empty_url) == LATEST


async def test_opening_an_older_database_applies_the_missing_migrations(
    empty_url: str, extra_migration: list[str]
) -> None:
    before = await open_store(empty_url)
    await before.record_fire("t", "kept", 1.0)
    await before.close()
    extra_migration.append("CREATE TABLE extra (id INTEGER PRIMARY KEY)")
    store = await open_store(empty_url)
    assert await store.record_fire("t", "kept", 1.0) is False
    await store.close()
    assert await _version(empty_url) == LATEST + 1


async def test_a_migration_numbered_below_the_latest_applied_is_applied_when_it_comes(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = sqlfiles.load_migrations
    late = Migration(LATEST + 2, "late", ("CREATE TABLE late_one (id INTEGER PRIMARY KEY)",))
    early = Migration(LATEST + 1, "early", ("CREATE TABLE early_one (id INTEGER PRIMARY KEY)",))
    monkeypatch.setattr(sqlfiles, "load_migrations", lambda d: [*real(d), late])
    await _migrate(empty_url)
    monkeypatch.setattr(sqlfiles, "load_migrations", lambda d: [*real(d), early, late])
    await _migrate(empty_url)
    store = store_for(empty_url)
    assert isinstance(store, SqlStore)
    try:
        await store._run(_select_from("early_one"), write=False)
    finally:
        await store.close()


def _count(table: str) -> Any:
    from xene.store.txn import Stmt

    return (yield Stmt(f"SELECT COUNT(*) FROM {table}")).scalar


def _select_from(table: str) -> Any:
    from xene.store.txn import Stmt

    yield Stmt(f"SELECT COUNT(*) FROM {table}")


async def test_a_failing_migration_applies_nothing(
    empty_url: str, extra_migration: list[str]
) -> None:
    extra_migration.append("CREATE TABLE extra (id INTEGER PRIMARY KEY)")
    extra_migration.append("THIS IS NOT SQL")
    with pytest.raises(Exception, match=r"(?i)syntax"):
        await open_store(empty_url)
    assert await _version(empty_url) == 0


def test_migration_files_are_numbered_from_1_without_gaps_in_both_dialects() -> None:
    versions = {d: [m.version for m in sqlfiles.load_migrations(d)] for d in sqlfiles.DIALECTS}
    assert versions["sqlite"] == list(range(1, LATEST + 1))
    assert versions["postgres"] == versions["sqlite"]


def test_dialect_files_override_only_queries_that_exist_in_common() -> None:
    common = sqlfiles.parse_blocks((sqlfiles.HERE / "queries" / "common.sql").read_text())
    for dialect in sqlfiles.DIALECTS:
        text = (sqlfiles.HERE / "queries" / f"{dialect}.sql").read_text()
        assert set(sqlfiles.parse_blocks(text)) <= set(common), dialect


def _sqlite_columns(path: Path) -> dict[str, list[str]]:
    conn = sqlite3.connect(path)
    try:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        return {t: [r[1] for r in conn.execute(f"PRAGMA table_info({t})")] for t in tables}
    finally:
        conn.close()


def _postgres_columns(url: str) -> dict[str, list[str]]:
    import psycopg

    with psycopg.connect(url) as conn:
        rows: list[Any] = conn.execute(
            "SELECT table_name, column_name FROM information_schema.columns"
            " WHERE table_schema = 'public' ORDER BY table_name, ordinal_position"
        ).fetchall()
    columns: dict[str, list[str]] = {}
    for table, column in rows:
        columns.setdefault(table, []).append(column)
    return columns


async def test_sqlite_and_postgres_schemas_have_the_same_tables_and_columns(
    tmp_path: Path, pg_database: str
) -> None:
    await (await open_store(f"sqlite:///{tmp_path / 'x.db'}")).close()
    assert _sqlite_columns(tmp_path / "x.db") == _postgres_columns(pg_database)


async def test_scoping_idempotency_keys_keeps_every_run_and_what_refers_to_it(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.store.factories import approval, chunk, new_run, node, step
    from xene.store.base import Batch

    real = sqlfiles.load_migrations
    monkeypatch.setattr(
        sqlfiles, "load_migrations", lambda d: [m for m in real(d) if _before(m, 5, 8, 11)]
    )
    before = await open_store(empty_url)
    assert isinstance(before, SqlStore)
    _write_as_before_0011(before)
    scoped = "(workflow, pipeline, idempotency_key)"  # the insert as it was before 0005
    before._q["insert_run"] = before._q["insert_run"].replace(scoped, "(idempotency_key)")
    _count_as_before_0008(before)
    run = new_run(idempotency_key="order-7")
    await before.create_run(run)
    batch = Batch(
        nodes=[node("build")],
        steps=[step("build", 0)],
        logs=[chunk(run.id, "build", "compiling")],
        approvals=[approval(run.id, "hook-7")],
    )
    await before.commit(run.id, batch)
    await before.close()
    monkeypatch.setattr(sqlfiles, "load_migrations", real)
    store = await open_store(empty_url)
    try:
        stored = await store.get_run(run.id)
        assert stored is not None
        assert [s.name for s in stored.record.nodes["build"].steps] == ["step0"]
        assert [c.lines for c in await store.read_logs(run.id)] == [("compiling",)]
        assert await store.get_approval("hook-7") is not None
        assert await store.create_run(new_run(idempotency_key="order-7")) == (run.id, False)
        other = new_run(idempotency_key="order-7", workflow="billing")
        assert await store.create_run(other) == (other.id, True)
    finally:
        await store.close()


def _before(migration: Migration, *missing: int) -> bool:
    """Whether a database made before the `missing` migrations had `migration`: not one
    of them, nor one made after them that rebuilds or widens their tables (0014 adds
    columns to runs, which 0005's rebuild of it copies with `SELECT *`)."""
    return migration.version not in missing and migration.version < 14


def _write_as_before_0011(store: SqlStore) -> None:
    """Make a store write runs, node rows and log chunks as it did before migration 0011:
    keyed by the run's id, without a run_key."""
    ph = "%s" if "%s" in store._q["run_counters"] else "?"
    by_key = f"(SELECT run_key FROM runs WHERE id = {ph})"
    for name in ("upsert_node", "insert_node", "update_progress", "insert_log"):
        store._q[name] = store._q[name].replace(by_key, ph).replace("run_key", "run_id")
    store._q["insert_run"] = sqlfiles.load_queries("postgres")["insert_run"].replace("%s", ph)
    old_schemas.before_0016(store._q)
    old_schemas.before_0014(store._q)
    old_schemas.before_0015(store._q)


def _count_as_before_0008(store: SqlStore) -> None:
    """Make a store number node rows and log chunks as it did before migration 0008."""
    ph = "%s" if "%s" in store._q["run_counters"] else "?"  # its counters before 0008
    store._q["run_counters"] = (
        "SELECT (SELECT COALESCE(MAX(ord), 0) FROM nodes WHERE run_id = runs.id),"
        " (SELECT COALESCE(MAX(seq), 0) FROM logs WHERE run_id = runs.id)"
        f" FROM runs WHERE id = {ph}"
    )
    store._q["update_counters"] = f"SELECT 0 * {ph} + 0 * {ph} FROM runs WHERE id = {ph}"
    store.returning = store.commit_returning = False  # the statements above, not `commit_run`


async def test_counting_on_the_run_goes_on_from_the_rows_committed_before(
    empty_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.store.factories import chunk, new_run, node
    from xene.store.base import Batch

    real = sqlfiles.load_migrations
    monkeypatch.setattr(
        sqlfiles, "load_migrations", lambda d: [m for m in real(d) if _before(m, 8, 11)]
    )
    before = await open_store(empty_url)
    assert isinstance(before, SqlStore)
    _write_as_before_0011(before)
    _count_as_before_0008(before)
    run = new_run()
    await before.create_run(run)
    batch = Batch(nodes=[node("zeta"), node("alpha")], logs=[chunk(run.id, "zeta", "one")])
    await before.commit(run.id, batch)
    await before.close()
    monkeypatch.setattr(sqlfiles, "load_migrations", real)
    store = await open_store(empty_url)
    try:
        after = Batch(nodes=[node("beta")], logs=[chunk(run.id, "beta", "two")])
        await store.commit(run.id, after)
        stored = await store.get_run(run.id)
        assert stored is not None
        assert list(stored.record.nodes) == ["zeta", "alpha", "beta"]
        assert [c.lines for c in await store.read_logs(run.id)] == [("one",), ("two",)]
    finally:
        await store.close()


async def test_a_deleted_runs_node_and_log_rows_go_with_it_and_a_new_run_finds_none(
    empty_url: str,
) -> None:
    # Node and log rows refer to their run by its run_key (0011), which SQLite counts on
    # from the largest: a new run may take a deleted run's number.
    from tests.store.factories import chunk, new_run, node, run_row
    from xene.store.base import Batch

    store = await open_store(empty_url)
    assert isinstance(store, SqlStore)
    try:
        run_id, _ = await store.create_run(new_run())
        batch = Batch(nodes=[node("a")], logs=[chunk(run_id, "a", "hi")])
        await store.commit(run_id, batch)
        await store.commit(run_id, Batch(run=run_row(run_id, "Success", ended_at=1.0)))
        assert await store.delete_runs(2.0) == 1
        assert await store._run(_count("nodes"), write=False) == 0
        assert await store._run(_count("logs"), write=False) == 0
        other, _ = await store.create_run(new_run())
        stored = await store.get_run(other)
        assert stored is not None
        assert stored.record.nodes == {}
        assert await store.read_logs(other) == []
    finally:
        await store.close()
