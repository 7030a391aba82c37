from __future__ import annotations

import pytest

import xene


@xene.task
def numbers() -> list[int]:
    return [1, 2, 3]


@xene.task(needs=[numbers])
def total(numbers: list[int]) -> int:
    return sum(numbers)


def test_xene_run_runs_a_python_api_pipeline_in_process() -> None:
    run = xene.run(xene.Pipeline("sum", [numbers, total]))
    assert run.succeeded
    assert run.nodes["total"].output == 6


async def test_an_engine_runs_a_python_api_pipeline_from_async_code() -> None:
    run = await xene.Engine().run(xene.Pipeline("sum", [numbers, total]), None)
    assert run.nodes["numbers"].output == [1, 2, 3]


async def test_an_engine_without_a_store_refuses_to_keep_runs() -> None:
    from xene.engine.engine import Engine
    from xene.errors import XeneError
    from xene.ir import Pipeline
    from xene.store.base import RunSource

    source = RunSource("", "", "python", "wf", "p")
    with pytest.raises(XeneError, match="this engine has no store: runs are not kept"):
        await Engine().start(Pipeline("p", nodes=()), None, source)
