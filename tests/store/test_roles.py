"""Each backend has the roles it declares, whole; and the SQL stores' one list of final
run states is `State.finished`'s, in the order their partial index needs."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.store.conftest import CLASSES
from xene.core.states import State
from xene.store import sqlfiles
from xene.store.roles import RunReader, RunStore


def _declared_roles(cls: type) -> list[type]:
    return [base for base in cls.__mro__ if getattr(base, "_is_protocol", False)]


@pytest.mark.parametrize("backend", list(CLASSES))
def test_a_backend_implements_every_method_of_the_roles_it_declares(backend: str) -> None:
    """No role method left to the protocol's empty body (port conformance)."""
    cls = CLASSES[backend]
    implemented = {name for base in cls.__mro__ if base not in _declared_roles(cls)
                   for name in vars(base)}  # fmt: skip
    wanted = {
        name
        for role in _declared_roles(cls)
        for name, value in vars(role).items()
        if callable(value) and not name.startswith("_")
    }
    assert wanted - implemented == set()


def test_a_remote_store_reads_runs_but_has_no_role_that_changes_them() -> None:
    assert issubclass(CLASSES["remote"], RunReader)
    assert not issubclass(CLASSES["remote"], RunStore)


def test_the_final_run_states_of_the_sql_queries_are_the_finished_states_but_skipped() -> None:
    """A run never ends Skipped: only a node of a branch not taken does."""
    finished = {state for state in State if state.finished}
    assert set(sqlfiles.FINAL_RUN_STATES) == finished - {State.SKIPPED}


@pytest.mark.parametrize("dialect", sqlfiles.DIALECTS)
def test_the_partial_index_of_unfinished_runs_lists_the_final_states_as_queries_do(
    dialect: str,
) -> None:
    final = "(" + ", ".join(f"'{state}'" for state in sqlfiles.FINAL_RUN_STATES) + ")"
    migration = (Path(sqlfiles.HERE) / "migrations" / dialect / "0001_initial.sql").read_text()
    assert f"WHERE state NOT IN {final}" in migration


def test_sqlite_answers_unfinished_runs_from_the_partial_index(tmp_path: Path) -> None:
    conn = sqlite3.connect(tmp_path / "plan.db")
    for migration in sqlfiles.load_migrations("sqlite"):
        for statement in migration.statements:
            conn.execute(statement)
    query = sqlfiles.load_queries("sqlite")["unfinished_runs"]
    plan = " ".join(str(row) for row in conn.execute(f"EXPLAIN QUERY PLAN {query}"))
    conn.close()
    assert "runs_unfinished" in plan
