from __future__ import annotations

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
