"""split-N: one split over N items whose body has effects (not inline), kept in a store.

    python benchmarks/splits.py 1000 10000 100000       # SQLite and PostgreSQL, 3 repeats
    python benchmarks/splits.py --repeat 5 --only sqlite 100000

Each run is a fresh process (`splits.py child URL N`) under GNU time, so its peak RSS is
its own; it prints the run's seconds and the bytes its run added to the store (SQLite
file, or PostgreSQL's `pg_total_relation_size` of the run tables). The floor is the same
fan-out as plain asyncio tasks, 8 at a time, each writing its message to a log.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

import workloads

PG = os.environ.get("XENE_BENCH_PG", "postgresql://postgres@127.0.0.1:5432/test")
TABLES = ("runs", "nodes", "steps", "logs")
TIME = "/usr/bin/time"
CONCURRENCY = 8


# -- the child: one run, in a fresh process -------------------------------------------------
async def _child(url: str, n: int) -> dict[str, float]:
    from xene.engine.durable import start_run
    from xene.engine.options import EngineOptions
    from xene.store import open_store
    from xene.store.base import RunSource

    pipeline = workloads.split(n, CONCURRENCY)
    source = RunSource("", "", "python", "bench", pipeline.name)
    store = await open_store(url)
    try:
        before = await _size(url)
        start = time.perf_counter()
        execution, _ = await start_run(
            store, pipeline, workloads.split_input(n), source, EngineOptions()
        )
        run = await execution.execute()
        seconds = time.perf_counter() - start
        assert run.succeeded, run.error
        assert run.nodes["total"].output == {"n": n}, run.nodes["total"].output
    finally:
        await store.close()
    return {"seconds": seconds, "bytes": await _size(url) - before}


async def _size(url: str) -> float:
    if url.startswith("memory"):
        return 0.0
    if url.startswith("sqlite"):
        import sqlite3

        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return float(os.path.getsize(path))
    import psycopg

    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("VACUUM ANALYZE")  # settle the visibility and free-space maps
        query = " + ".join(f"pg_total_relation_size('{t}')" for t in TABLES)
        found = await (await conn.execute(f"SELECT {query}")).fetchone()
        assert found is not None
        return float(found[0])


# -- the floor ---------------------------------------------------------------------------
async def _floor(n: int) -> float:
    log = logging.getLogger("xene-bench-floor")
    log.addHandler(logging.NullHandler())
    log.propagate = False
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(item: dict[str, Any]) -> dict[str, Any]:
        async with gate:
            log.warning("item %s", item["id"])
            return item

    start = time.perf_counter()
    results = await asyncio.gather(
        *(asyncio.create_task(one(i)) for i in workloads.split_input(n)["items"])
    )
    assert len(results) == n
    return time.perf_counter() - start


# -- the driver ----------------------------------------------------------------------------
def fresh_pg() -> str:
    """An empty database `xene_bench_splits` on the server of XENE_BENCH_PG."""
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute("DROP DATABASE IF EXISTS xene_bench_splits WITH (FORCE)")
        conn.execute("CREATE DATABASE xene_bench_splits")
    return PG.rsplit("/", 1)[0] + "/xene_bench_splits"


def once(url: str, n: int) -> tuple[float, float, float]:
    """Seconds, peak RSS (MiB) and store bytes of one run in a fresh process."""
    cmd = [sys.executable, __file__, "child", url, str(n)]
    timed = [TIME, "-f", "XENE_RSS_KB %M", *cmd] if os.path.exists(TIME) else cmd
    proc = subprocess.run(timed, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"split-{n} on {url} failed: {proc.stderr[-2000:]}")
    kb = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("XENE_RSS_KB")]
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    return figures["seconds"], int(kb[-1]) / 1024 if kb else float("nan"), figures["bytes"]


def bench(label: str, url_of: Any, n: int, repeat: int) -> float:
    runs = [once(url_of(), n) for _ in range(repeat)]
    seconds = statistics.median(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    per_item = statistics.median(r[2] for r in runs) / n
    print(
        f"  {label:<16} {seconds:9.2f} s {seconds / n * 1e6:9.1f} µs/item  "
        f"peak RSS {rss:5.0f} MiB  {per_item / 1024:5.2f} KB/item",
        flush=True,
    )
    return seconds / n


def bench_sizes(sizes: list[int], stores: list[str], repeat: int) -> None:
    """Every size on every store, then how the per-item cost grows from the smallest."""
    per_item: dict[str, dict[int, float]] = {s: {} for s in stores}
    with tempfile.TemporaryDirectory(prefix="xene-bench-splits-") as tmp:
        counter = iter(range(10**6))

        def sqlite_url() -> str:
            return f"sqlite:///{tmp}/split-{next(counter)}.db"

        urls = {"sqlite": sqlite_url, "postgres": fresh_pg}
        for n in sizes:
            floor = statistics.median(asyncio.run(_floor(n)) for _ in range(repeat))
            print(f"\nsplit-{n} (std::log body with a timeout, {CONCURRENCY} at a time)")
            print(f"  {'asyncio floor':<16} {floor:9.2f} s {floor / n * 1e6:9.1f} µs/item")
            for name in stores:
                per_item[name][n] = bench(name, urls[name], n, repeat)
    for name, costs in per_item.items():
        if len(costs) > 1:
            smallest, largest = min(costs), max(costs)
            ratio = costs[largest] / costs[smallest]
            print(f"{name}: per-item cost at {largest} is {ratio:.2f}× that at {smallest}")
            print("  (targets: ≤ 1.3×, peak RSS ≤ 150 MiB, ≤ 0.3 KB/item)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("sizes", nargs="*", type=int, default=[1000, 10000, 100000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", default="sqlite,postgres")
    args = parser.parse_args()
    bench_sizes(args.sizes, args.only.split(","), args.repeat)


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        print(json.dumps(asyncio.run(_child(sys.argv[2], int(sys.argv[3])))))
    else:
        main()
