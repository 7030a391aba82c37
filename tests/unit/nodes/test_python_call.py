from __future__ import annotations

import threading
from typing import Any

import pytest

from xene.errors import NodeFailed
from xene.nodes import python_call

NOT_CALLABLE = 42


def no_args() -> str:
    return "called"


def one_arg(data: Any) -> Any:
    return {"got": data}


def by_name(a: int, b: int, c: int = 10) -> int:
    return a + b + c


async def coroutine(data: Any) -> Any:
    return ("async", data)


def thread_name(data: Any) -> str:
    return threading.current_thread().name


class Handlers:
    @staticmethod
    def handle(data: Any) -> Any:
        return data


async def test_invoke_calls_a_function_without_parameters_bare() -> None:
    assert await python_call.invoke(no_args, {"ignored": 1}) == "called"


async def test_invoke_passes_the_data_to_a_single_parameter() -> None:
    assert await python_call.invoke(one_arg, [1]) == {"got": [1]}


async def test_invoke_fills_several_parameters_by_name_from_a_mapping() -> None:
    assert await python_call.invoke(by_name, {"a": 1, "b": 2, "extra": 0}) == 13


async def test_invoke_reports_missing_parameters_by_name() -> None:
    with pytest.raises(NodeFailed, match="needs b"):
        await python_call.invoke(by_name, {"a": 1})


async def test_invoke_refuses_several_parameters_for_non_mapping_data() -> None:
    with pytest.raises(NodeFailed, match="not a mapping"):
        await python_call.invoke(by_name, [1, 2])


async def test_invoke_awaits_a_coroutine_function() -> None:
    assert await python_call.invoke(coroutine, 1) == ("async", 1)


async def test_invoke_runs_a_sync_function_in_a_worker_thread() -> None:
    name = await python_call.invoke(thread_name, None)
    assert name != threading.current_thread().name


async def test_invoke_with_kwargs_calls_by_keyword() -> None:
    assert await python_call.invoke(by_name, "ignored", kwargs={"a": 1, "b": 1, "c": 1}) == 3


async def test_invoke_gives_a_builtin_without_signature_the_data() -> None:
    assert await python_call.invoke(len, [1, 2]) == 2


def test_import_callable_finds_a_function() -> None:
    assert python_call.import_callable(f"{__name__}:one_arg") is one_arg


def test_import_callable_follows_dotted_attributes() -> None:
    assert python_call.import_callable(f"{__name__}:Handlers.handle") is Handlers.handle


def test_import_callable_requires_module_colon_function() -> None:
    with pytest.raises(NodeFailed, match="module:function"):
        python_call.import_callable("no_colon_here")


def test_import_callable_reports_a_missing_module() -> None:
    with pytest.raises(NodeFailed, match="cannot import 'xene_no_such_module'"):
        python_call.import_callable("xene_no_such_module:fn")


def test_import_callable_reports_a_missing_attribute() -> None:
    with pytest.raises(NodeFailed, match="has no attribute 'nope'"):
        python_call.import_callable(f"{__name__}:nope")


def test_import_callable_refuses_a_non_callable() -> None:
    with pytest.raises(NodeFailed, match=r"not callable \(its type is int\)"):
        python_call.import_callable(f"{__name__}:NOT_CALLABLE")


def test_import_callable_caches_imports() -> None:
    python_call.import_callable(f"{__name__}:no_args")
    before = python_call.import_callable.cache_info().hits
    python_call.import_callable(f"{__name__}:no_args")
    assert python_call.import_callable.cache_info().hits == before + 1


def var_positional(*items: Any) -> Any:
    return items


async def test_invoke_passes_the_data_to_a_function_taking_only_var_positional() -> None:
    assert await python_call.invoke(var_positional, {"a": 1}) == ({"a": 1},)


async def test_invoke_with_kwargs_awaits_a_coroutine_function_by_keyword() -> None:
    assert await python_call.invoke(coroutine, None, kwargs={"data": 2}) == ("async", 2)


async def test_invoke_awaits_an_awaitable_a_sync_function_returns() -> None:
    assert await python_call.invoke(lambda: coroutine(3), None) == ("async", 3)


async def test_a_non_mapping_input_names_the_function_its_parameters_and_the_type() -> None:
    message = (
        r"^tests\.unit\.nodes\.test_python_call:by_name takes a, b, c, but its input is a "
        r"list, not a mapping holding those names$"
    )
    with pytest.raises(NodeFailed, match=message):
        await python_call.invoke(by_name, [1, 2])


async def test_missing_parameters_are_named_with_the_keys_the_input_has() -> None:
    message = (
        r"^tests\.unit\.nodes\.test_python_call:by_name needs a, b, missing from its input "
        r"\(keys: c, d\); pass them or give defaults$"
    )
    with pytest.raises(NodeFailed, match=message):
        await python_call.invoke(by_name, {"c": 1, "d": 2})


async def test_missing_parameters_of_an_empty_input_say_it_has_no_keys() -> None:
    with pytest.raises(NodeFailed, match=r"\(keys: none\)"):
        await python_call.invoke(by_name, {})


class _Unnamed:
    """A callable object with no `__qualname__` of its own instance."""

    def __call__(self, a: int, b: int) -> int:
        return a + b

    def __repr__(self) -> str:
        return "<unnamed>"


async def test_a_callable_object_is_named_by_its_module_and_class() -> None:
    with pytest.raises(NodeFailed, match=r"^tests\.unit\.nodes\.test_python_call:<unnamed> needs"):
        await python_call.invoke(_Unnamed(), {})


class _Unhashable:
    """A callable the signature cache cannot hold."""

    __hash__ = None  # type: ignore[assignment]

    def __call__(self, a: int, b: int) -> int:
        return a * b


async def test_invoke_fills_the_parameters_of_an_unhashable_callable_by_name() -> None:
    assert await python_call.invoke(_Unhashable(), {"a": 2, "b": 3}) == 6


def _fails(data: Any) -> None:
    raise ValueError("boom")


async def test_a_function_that_raises_prints_its_traceback_and_raises_again(
    capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(ValueError, match=r"^boom$"):
        await python_call.invoke(_fails, None)
    assert "ValueError: boom" in capsys.readouterr().err


def test_a_missing_module_says_to_install_it_or_run_from_its_directory() -> None:
    message = (
        r"^call 'xene_no_such_module:fn': cannot import 'xene_no_such_module' \(.*\); "
        r"install it or run from the directory that holds it$"
    )
    with pytest.raises(NodeFailed, match=message):
        python_call.import_callable("xene_no_such_module:fn")


def test_a_module_that_fails_to_import_names_the_error(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "xene_broken_module.py").write_text("raise RuntimeError('half written')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    message = (
        r"^call 'xene_broken_module:fn': importing 'xene_broken_module' failed: "
        r"RuntimeError: half written$"
    )
    with pytest.raises(NodeFailed, match=message):
        python_call.import_callable("xene_broken_module:fn")
