"""Optional imports: a missing optional module names the extra that installs it."""

from __future__ import annotations

import json
import sys

import pytest

from xene import extras
from xene.cli import main


def test_require_gives_the_module_when_it_imports() -> None:
    assert extras.require("json", "a test") is json


def test_a_missing_optional_module_names_its_extra() -> None:
    missing = extras.missing_extra(ModuleNotFoundError(name="watchfiles.main"), "xene serve")
    assert missing is not None
    assert str(missing) == (
        "xene serve needs watchfiles, which is not installed: pip install 'xene[server]'"
    )


def test_a_missing_module_that_is_not_optional_is_not_an_extra() -> None:
    assert extras.missing_extra(ModuleNotFoundError(name="yaml"), "xene run") is None


def test_require_of_a_module_no_extra_installs_raises_the_import_error() -> None:
    with pytest.raises(ModuleNotFoundError):
        extras.require("no_such_module_anywhere", "a test")


def test_xene_turns_a_missing_optional_module_into_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = main._missing_extra(ModuleNotFoundError(name="jwt"), "xene token")
    assert code == 2
    assert capsys.readouterr().err == (
        "xene: xene token needs jwt, which is not installed: pip install 'xene[server]'\n"
    )


def test_xene_lets_any_other_error_through() -> None:
    with pytest.raises(KeyError):
        main._missing_extra(KeyError("bug"), "xene run")


def test_serve_without_httptools_says_which_extra(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "httptools", None)  # as if it were not installed
    assert main.main(["serve", "--port", "0"]) == 2
    err = capsys.readouterr().err
    assert "httptools, which is not installed: pip install 'xene[server]'" in err
