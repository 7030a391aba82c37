"""`open_store(url)`: which store a URL names, the default, and lazy imports."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import xene.store
from xene.store import default_url, open_store, store_for
from xene.store.memory import MemoryStore
from xene.store.postgres import PostgresStore
from xene.store.sqlite import SqliteStore


async def test_memory_url_opens_a_memory_store() -> None:
    assert isinstance(await open_store("memory://"), MemoryStore)


async def test_sqlite_url_opens_a_migrated_sqlite_store(tmp_path: Path) -> None:
    store = await open_store(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(store, SqliteStore)
    assert await store.schema_version() >= 1
    await store.close()


@pytest.mark.parametrize("url", ["postgresql://u@h/db", "postgres://u@h/db"])
def test_postgres_urls_name_a_postgres_store(url: str) -> None:
    store = store_for(url)
    assert isinstance(store, PostgresStore)
    assert store.url == url


@pytest.mark.parametrize("url", ["mysql://h/db", "sqlite://x.db", "/tmp/x.db", ""])
def test_other_urls_are_refused_with_the_accepted_forms(url: str) -> None:
    with pytest.raises(ValueError, match=r"memory://.*sqlite:///.*postgresql://"):
        store_for(url)


def test_default_url_is_xene_store_when_set(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XENE_STORE", "memory://")
    assert default_url() == "memory://"


def test_default_url_is_xene_db_in_xene_home(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XENE_STORE", raising=False)
    monkeypatch.setenv("XENE_HOME", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path}/xene.db"


def test_default_xene_home_is_dot_xene(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("XENE_STORE", raising=False)
    monkeypatch.delenv("XENE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_url() == f"sqlite:///{tmp_path}/.xene/xene.db"


async def test_open_store_without_url_opens_the_default(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("XENE_STORE", raising=False)
    monkeypatch.setenv("XENE_HOME", str(tmp_path / "home"))
    store = await open_store()
    await store.close()
    assert (tmp_path / "home" / "xene.db").exists()


def test_importing_the_stores_does_not_import_psycopg() -> None:
    code = (
        "import sys, xene.store, xene.store.postgres, xene.store.sqlite;"
        "sys.exit('psycopg' in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


async def test_an_unreachable_postgres_server_is_the_drivers_error_at_once() -> None:
    import psycopg

    with pytest.raises(psycopg.OperationalError, match="port 1 failed"):
        await open_store("postgresql://postgres@127.0.0.1:1/none")


def test_public_api() -> None:
    assert xene.store.__all__ == ["Store", "default_url", "open_store", "store_for"]
