"""A small ETL pipeline written with Xene's Python API.

    xene run examples/etl.py          # run it
    xene graph examples/etl.py        # see its shape

`extract` feeds two transforms that run in parallel; `combine` waits for both and receives
each one's output as the parameter of the same name; `load` prints a summary.
"""

from __future__ import annotations

import statistics

import xene


@xene.task
def extract() -> list[int]:
    """Read the raw numbers (here: made up, in real life a file or an API)."""
    return [3, 1, 4, 1, 5, 9, 2, 6]


@xene.task(needs=[extract])
def doubled(numbers: list[int]) -> list[int]:
    """Double every number."""
    return [n * 2 for n in numbers]


@xene.task(needs=[extract], retries=2, timeout="30s")
def squared(numbers: list[int]) -> list[int]:
    """Square every number."""
    return [n * n for n in numbers]


@xene.task
def combine(doubled: list[int], squared: list[int]) -> list[dict[str, int]]:
    """Pair the two transforms row by row."""
    return [{"doubled": d, "squared": s} for d, s in zip(doubled, squared, strict=True)]


@xene.task
def load(rows: list[dict[str, int]]) -> dict[str, float]:
    """Print and return a summary of the combined rows."""
    summary = {
        "rows": len(rows),
        "sum_doubled": sum(r["doubled"] for r in rows),
        "mean_squared": statistics.fmean(r["squared"] for r in rows),
    }
    print(f"loaded {summary['rows']} rows: {summary}")
    return summary


[doubled, squared] >> combine >> load

etl = xene.Pipeline(
    "etl",
    [extract, doubled, squared, combine, load],
    description="Extract numbers, transform them two ways in parallel, join and load.",
)
workflow = xene.Workflow("etl-demo", [etl], description="Xene's Python API example.")
