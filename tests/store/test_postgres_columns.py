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
    form = COLUMNAR[QUERIES["upsert_step"]]
    rows = [("r", "n", 0, "a", "Done", 0, None, 1, 2.5, None)] * 2
    arrays = form.arrays(rows)
    assert arrays[:3] == [["r", "r"], ["n", "n"], [0, 0]]
    assert [type(at) for at in arrays[7]] == [float, float]


def test_node_and_log_rows_send_their_runs_id_once() -> None:
    form = COLUMNAR[QUERIES["insert_log"]]
    arrays = form.arrays([("r", 1, "a", None, 5, "x"), ("r", 2, "a", "s", 5.5, "y")])
    assert arrays == ["r", [1, 2], ["a", "a"], [None, "s"], [5.0, 5.5], ["x", "y"]]
    assert [type(at) for at in arrays[4]] == [float, float]
    by_run = {name: COLUMNAR[QUERIES[name]].by_run for name in BY_NAME}
    assert by_run == {"insert_log": True, "insert_node": True, "upsert_node": True,
                      "upsert_step": False}  # fmt: skip


def test_rows_of_two_runs_are_refused_where_the_runs_id_is_sent_once() -> None:
    with pytest.raises(ValueError, match="one run"):
        COLUMNAR[QUERIES["insert_log"]].arrays(
            [("a", 1, "n", None, 5, "x"), ("b", 2, "n", None, 5, "y")]
        )
