"""PostgreSQL's columnar statements (queries/postgres_columns.sql) say what their row
forms in common.sql say: the same columns, the same conflict clause, one array per column."""

from __future__ import annotations

import re

import pytest

from xene.store import pg_batch, sqlfiles

QUERIES = sqlfiles.load_queries("postgres")
COLUMNAR = pg_batch.columnar(QUERIES)
BY_NAME = {name: QUERIES[name] for name in QUERIES if QUERIES[name] in COLUMNAR}


def _columns(sql: str) -> list[str]:
    found = re.search(r"INSERT INTO \w+ \(([^)]*)\)", sql)
    assert found is not None, sql
    return [name.strip() for name in found[1].split(",")]


def _conflict(sql: str) -> str:
    return " ".join(sql.partition("ON CONFLICT")[2].split())


def test_every_statement_committed_in_batches_has_a_columnar_form() -> None:
    assert set(BY_NAME) == {"insert_node", "upsert_node", "upsert_step", "insert_log"}


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_a_columnar_form_keeps_its_row_forms_columns_and_conflict_clause(name: str) -> None:
    rows, columns = BY_NAME[name], COLUMNAR[BY_NAME[name]].sql
    assert _columns(columns) == _columns(rows)
    assert _conflict(columns) == _conflict(rows)
    assert columns.count("%b") == rows.count("%s") == len(_columns(rows))


def test_arrays_are_the_rows_columns_with_every_float_column_as_floats() -> None:
    form = COLUMNAR[QUERIES["insert_log"]]
    arrays = form.arrays([("r", 1, "a", None, 5, "x"), ("r", 2, "a", "s", 5.5, "y")])
    assert arrays == [["r", "r"], [1, 2], ["a", "a"], [None, "s"], [5.0, 5.5], ["x", "y"]]
    assert [type(at) for at in arrays[4]] == [float, float]
