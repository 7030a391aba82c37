"""`xene runs --trigger/--since/--until/--id`: the runs list's filters from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.integration.test_cli_history import CI, FAILING, seed, xene

Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path}/x.db"


def _ids(capsys: Capsys, url: str, *argv: str) -> list[str]:
    code, out, err = xene(capsys, url, "runs", "--json", *argv)
    assert code == 0, err
    return [r["id"] for r in json.loads(out)]


def test_runs_by_time_id_prefix_and_trigger(url: str, tmp_path: Path, capsys: Capsys) -> None:
    first = seed(capsys, url, tmp_path, CI)
    second = seed(capsys, url, tmp_path, FAILING)
    (created,) = [r["created_at"] for r in json.loads(xene(capsys, url, "runs", "--json")[1])][1:]
    assert _ids(capsys, url, "--since", str(created)) == [second, first]
    assert _ids(capsys, url, "--until", str(created)) == []
    assert _ids(capsys, url, "--until", "2999-01-01T00:00") == [second, first]
    assert _ids(capsys, url, "--id", second[:16].upper()) == [second]
    assert _ids(capsys, url, "--trigger", "-") == [second, first]  # `xene run`: by hand
    assert _ids(capsys, url, "--trigger", "nightly") == []
    code, out, _ = xene(capsys, url, "runs", "--trigger", "nightly")
    assert (code, out) == (0, "no runs match\n")


def test_a_time_that_is_not_one_exits_2_saying_how_to_write_it(url: str, capsys: Capsys) -> None:
    code, _, err = xene(capsys, url, "runs", "--since", "yesterday")
    assert code == 2
    assert "--since 'yesterday' is not a time" in err
    assert "ISO 8601" in err
