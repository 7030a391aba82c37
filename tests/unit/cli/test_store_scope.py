"""The container scope of a store: the same for every process naming the store, however
it spells the location; different for different stores."""

from __future__ import annotations

from pathlib import Path

import pytest

from xene.cli.stores import scope_of
from xene.executors.scopes import store_scope


def test_a_sqlite_file_has_one_scope_however_its_path_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    absolute = scope_of(f"sqlite:///{tmp_path}/xene.db")
    assert scope_of("sqlite:///xene.db") == absolute
    assert scope_of("sqlite:///./sub/../xene.db") == absolute
    assert absolute == store_scope(f"sqlite:///{tmp_path.resolve()}/xene.db")
    assert absolute.startswith("store:")


def test_a_sqlite_path_under_home_is_expanded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    assert scope_of("sqlite:///~/xene.db") == scope_of(f"sqlite:///{tmp_path}/xene.db")


def test_two_sqlite_files_have_two_scopes(tmp_path: Path) -> None:
    assert scope_of(f"sqlite:///{tmp_path}/a.db") != scope_of(f"sqlite:///{tmp_path}/b.db")


def test_a_postgres_database_has_one_scope_whoever_logs_in() -> None:
    one = scope_of("postgresql://alice:secret@DB.example:5432/xene")
    assert scope_of("postgres://bob@db.example/xene") == one
    assert scope_of("postgresql://db.example/xene?connect_timeout=3") == one
    assert scope_of("postgresql://db.example/other") != one
    assert scope_of("postgresql://db.example:6543/xene") != one
    assert "secret" not in one


def test_a_memory_store_leaves_the_scope_to_the_process() -> None:
    assert scope_of("memory://") == ""


def test_no_location_is_the_default_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("XENE_STORE", raising=False)
    monkeypatch.setenv("XENE_HOME", str(tmp_path))
    assert scope_of(None) == scope_of(f"sqlite:///{tmp_path}/xene.db")
    monkeypatch.setenv("XENE_STORE", "postgresql://db.example/xene")
    assert scope_of(None) == scope_of("postgresql://db.example/xene")
