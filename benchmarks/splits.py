"""split-N: one split over N items whose body has effects (not inline), kept in a store.

    python benchmarks/splits.py 1000 10000 100000       # SQLite and PostgreSQL, 3 repeats
    python benchmarks/splits.py --repeat 5 --only sqlite 100000

Each run is a fresh process (`splits.py child URL N`) under GNU time, so its peak RSS is
its own; it prints the run's seconds and the bytes its run added to the store. SQLite:
the file. PostgreSQL, two figures of the run tables' `pg_total_relation_size`:

- on disk: after `VACUUM ANALYZE`, what the run left behind, dead row versions' space
  included (VACUUM marks it free for reuse but seldom gives it back);
- live: after `VACUUM FULL` of those tables, which rewrites them with only the live rows,
  what the run's records themselves occupy.

The two differ by the dead versions of the rows a run updates (each of an item's node
states is a new version of its row). A default PostgreSQL's autovacuum reclaims them as
a long run goes, so later versions reuse the space; with `autovacuum = off` (as on some
test servers: the driver says which) nothing is reclaimed during a run, and the on-disk
figure holds every version a run ever wrote. PostgreSQL runs use a database made anew
for each run: `XENE_BENCH_DB` (or `--db`), else the name in `XENE_BENCH_PG` with
`_splits` added, so two people can run this on one server at once. The floor is the
same fan-out as plain asyncio tasks, 8 at a time, each writing its message to a log.
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
SIZES = ("bytes", "live")
TABLES = ("runs", "nodes", "steps", "logs")
TIME = "/usr/bin/time"
CONCURRENCY = 8


# -- the child: one run, in a fresh process -------------------------------------------------
async def _child(url: str, n: int) -> dict[str, float]:
    """The run's seconds and the bytes it added (`SIZES`: on disk, and live)."""
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
    after = await _size(url)
    return {"seconds": seconds, **{k: after[i] - before[i] for i, k in enumerate(SIZES)}}


async def _size(url: str) -> tuple[float, float]:
    """The store's bytes on disk, and live (the same on SQLite, see the docstring)."""
    if url.startswith("memory"):
        return 0.0, 0.0
    if url.startswith("sqlite"):
        import sqlite3

        path = url.removeprefix("sqlite:///")
        with sqlite3.connect(path) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return float(os.path.getsize(path)), float(os.path.getsize(path))
    import psycopg

    query = "SELECT " + " + ".join(f"pg_total_relation_size('{t}')" for t in TABLES)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as conn:
        await conn.execute("VACUUM ANALYZE")  # settle the visibility and free-space maps
        on_disk = await (await conn.execute(query)).fetchone()
        await conn.execute(f"VACUUM FULL {', '.join(TABLES)}")  # only live rows kept
        live = await (await conn.execute(query)).fetchone()
        assert on_disk is not None
        assert live is not None
        return float(on_disk[0]), float(live[0])


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
def db_name(db: str | None = None) -> str:
    """`db`, else XENE_BENCH_DB, else the name in XENE_BENCH_PG with `_splits` added."""
    name = PG.partition("?")[0].rpartition("/")[2]
    return db or os.environ.get("XENE_BENCH_DB") or f"{name or 'xene'}_splits"


def fresh_pg(db: str) -> str:
    """The database `db`, made anew (empty) on the server of XENE_BENCH_PG."""
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{db}"')
    return PG.partition("?")[0].rpartition("/")[0] + f"/{db}"


def autovacuum() -> str:
    """The server's `autovacuum` setting: whether dead row versions are reclaimed."""
    import psycopg

    with psycopg.connect(PG, autocommit=True) as conn:
        found = conn.execute("SHOW autovacuum").fetchone()
    return str(found[0]) if found else "?"


def once(url: str, n: int) -> tuple[float, float, float, float]:
    """Seconds, peak RSS (MiB), store bytes on disk and live of one run in a fresh
    process."""
    cmd = [sys.executable, __file__, "child", url, str(n)]
    timed = [TIME, "-f", "XENE_RSS_KB %M", *cmd] if os.path.exists(TIME) else cmd
    proc = subprocess.run(timed, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"split-{n} on {url} failed: {proc.stderr[-2000:]}")
    kb = [line.split()[1] for line in proc.stderr.splitlines() if line.startswith("XENE_RSS_KB")]
    figures = json.loads(proc.stdout.strip().splitlines()[-1])
    rss = int(kb[-1]) / 1024 if kb else float("nan")
    return figures["seconds"], rss, figures["bytes"], figures["live"]


def bench(label: str, url_of: Any, n: int, repeat: int) -> float:
    runs = [once(url_of(), n) for _ in range(repeat)]
    seconds = statistics.median(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    on_disk = statistics.median(r[2] for r in runs) / n
    live = statistics.median(r[3] for r in runs) / n
    sizes = f"{on_disk / 1024:5.2f} KB/item"
    if label == "postgres":
        sizes = f"{on_disk / 1024:5.2f} KB/item on disk, {live / 1024:5.2f} live"
    print(
        f"  {label:<16} {seconds:9.2f} s {seconds / n * 1e6:9.1f} µs/item  "
        f"peak RSS {rss:5.0f} MiB  {sizes}",
        flush=True,
    )
    return seconds / n


def bench_sizes(sizes: list[int], stores: list[str], repeat: int, db: str | None = None) -> None:
    """Every size on every store, then how the per-item cost grows from the smallest."""
    per_item: dict[str, dict[int, float]] = {s: {} for s in stores}
    if "postgres" in stores:
        print(f"PostgreSQL: database {db_name(db)}, autovacuum {autovacuum()} (on disk: after")
        print("  VACUUM ANALYZE, dead row versions included; live: after VACUUM FULL)")
    with tempfile.TemporaryDirectory(prefix="xene-bench-splits-") as tmp:
        counter = iter(range(10**6))

        def sqlite_url() -> str:
            return f"sqlite:///{tmp}/split-{next(counter)}.db"

        urls = {"sqlite": sqlite_url, "postgres": lambda: fresh_pg(db_name(db))}
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
    parser.add_argument("--db", help="PostgreSQL database, made anew (default: see above)")
    args = parser.parse_args()
    bench_sizes(args.sizes, args.only.split(","), args.repeat, args.db)


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        print(json.dumps(asyncio.run(_child(sys.argv[2], int(sys.argv[3])))))
    else:
        main()
